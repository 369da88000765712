"""A round's results: the dashboard page and results.json, both through disclosure.py."""

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from readiness import benchmarks, charts, disclosure, reports
from readiness.models import ActionItem, PreparedDownload
from readiness.permissions import facility_access, round_for
from readiness.rendered import results_key
from readiness.services import audit, downloads

# Results are rebuilt when the facility's results_version changes (a new release, a
# plan change, a new minimum group), and after a deploy or a raised site minimum
# (readiness/rendered.py); kept a day at most.
RESULTS_TIMEOUT = 24 * 60 * 60


def _cache_key(round_, scope: disclosure.Scope, plan: str) -> str:
    key = results_key(
        "dashboard",
        round_.pk,
        round_.facility.results_version,
        get_language(),
        f"{int(scope.roles)}{int(scope.strategies)}{int(scope.compare)}{plan}",
    )
    if scope.benchmarks:
        # Peer benchmarks change with the day's snapshot and with who can reach which
        # facility, which no version of this facility's results tracks.
        key += ":" + benchmarks.cache_token(round_.facility)
    return key


def results_html(round_, *, scope: disclosure.Scope, plan: str) -> str:
    """The scored part of the dashboard, rendered once per version of the results.

    ``plan`` is "" (no plan shown, for partners), "read" or "edit". No form is rendered
    in here: a cached CSRF token would be one user's.
    """
    key = _cache_key(round_, scope, plan)
    html = cache.get(key)
    if html is None:
        scores = disclosure.released_scores(
            round_, compare_with_previous=scope.compare, with_roles=scope.roles
        )
        peers = (
            benchmarks.benchmarks_for(round_.facility, instrument=round_.instrument)
            if scope.benchmarks
            else None
        )
        if plan:
            by_code = {}
            for item in ActionItem.objects.filter(facility_id=round_.facility_id):
                for code in item.targets:
                    by_code.setdefault(code, []).append(item)
            for determinant in scores.determinants:
                determinant.plan_items = by_code.get(determinant.code, [])
        html = render_to_string(
            "dashboard/_results.html",
            {
                "scores": scores,
                "min_group": scores.minimum,
                "show_strategies": scope.strategies,
                "show_roles": scope.roles,
                "plan": plan,
                "round": round_,
                "determinant_chart": charts.determinant_chart(scores),
                "role_heatmap": charts.role_heatmap(scores) if scope.roles else None,
                "trend_chart": charts.trend_chart(scores),
                "benchmark_rows": benchmark_rows(scores, peers) if peers else None,
                "benchmark_chart": charts.benchmark_chart(scores, peers) if peers else None,
                "show_benchmarks": scope.benchmarks,
                "median_from": disclosure.MEDIAN_FROM,
                "quartiles_from": disclosure.QUARTILES_FROM,
            },
        )
        cache.set(key, html, RESULTS_TIMEOUT)
    return html


def benchmark_rows(scores, peers):
    """(determinant name, own score, same-type benchmark, all-facilities benchmark)."""
    return [
        (d.determinant.name, d.score, peers["type"].get(d.code), peers["all"].get(d.code))
        for d in scores.determinants
    ]


def _plan_mode(access) -> str:
    if not access.is_member:
        return ""
    return "edit" if access.can_manage_rounds else "read"


@login_required
def round_dashboard(request, slug, round_id):
    access = facility_access(request.user, slug)
    round_ = round_for(access, round_id)
    context = {
        "facility": access.facility,
        "access": access,
        "round": round_,
        # Live counts only, never answers: people still answering, or waiting for the
        # next step of the published results, change no number shown.
        "status": disclosure.release_status(round_),
        "results": results_html(
            round_, scope=disclosure.Scope.for_access(access), plan=_plan_mode(access)
        ),
    }
    return render(request, "dashboard/round.html", context)


@login_required
def round_results_json(request, slug, round_id):
    """Exactly what the signed-in person may see of the round (README: results.json).

    A download like the others: in the facility's audit log, whoever reads it."""
    access = facility_access(request.user, slug)
    round_ = round_for(access, round_id)
    data = disclosure.round_results(round_, scope=disclosure.Scope.for_access(access))
    audit.record_download(
        user=request.user,
        facilities=[access.facility],
        download="results",
        fmt="json",
        round=round_.label,
    )
    # Not indented: json.dumps writes indented output in Python, ten times slower than
    # its C encoder (most of this view's time for a 2,000-person round).
    return JsonResponse(data)


@login_required
@require_POST
@ratelimit(key="user", rate=reports.rate, group="reports", block=True)
def prepare_round_report(request, slug, round_id):
    """The round's report for the board (reports.round_report), as this person's
    dashboard shows the round: prepared in the background (services/downloads.py), since
    laying it out takes seconds, and fetched by this person only."""
    access = facility_access(request.user, slug)
    round_ = round_for(access, round_id)
    download = downloads.request_download(
        user=request.user,
        kind=PreparedDownload.Kind.ROUND_REPORT,
        fmt=PreparedDownload.Format.PDF,
        facilities=[access.facility],
        facility=access.facility,
        round_=round_,
    )
    return redirect(download)
