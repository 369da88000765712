"""A round's results: the dashboard page and results.json, both through disclosure.py."""

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.text import slugify
from django.utils.translation import get_language
from django_ratelimit.decorators import ratelimit

from readiness import benchmarks, charts, disclosure, reports
from readiness.models import ActionItem, AuditEvent
from readiness.permissions import facility_access, round_for
from readiness.rendered import results_key
from readiness.services.audit import record

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
    record(
        action=AuditEvent.Action.EXPORTED,
        user=request.user,
        facility=access.facility,
        download="results",
        format="json",
        round=round_.label,
    )
    # Not indented: json.dumps writes indented output in Python, ten times slower than
    # its C encoder (most of this view's time for a 2,000-person round).
    return JsonResponse(data)


@login_required
@ratelimit(key="user", rate=reports.rate, group="reports", block=True)
def round_report_pdf(request, slug, round_id):
    """The round's report for the board (reports.py): what the dashboard shows the person,
    laid out for paper, with the action plan for the facility's own members."""
    access = facility_access(request.user, slug)
    round_ = round_for(access, round_id)
    scope = disclosure.Scope.for_access(access)
    scores = disclosure.released_scores(
        round_, compare_with_previous=scope.compare, with_roles=scope.roles
    )
    plan_items = (
        list(ActionItem.objects.filter(facility_id=round_.facility_id))
        if access.is_member
        else None
    )
    content = reports.pdf(
        "reports/round.html",
        {
            "facility": access.facility,
            "round": round_,
            "heading": reports.round_heading(round_),
            "scores": scores,
            "status": disclosure.release_status(round_),
            "chart": reports.bar_chart(scores),
            "show_strategies": scope.strategies,
            "show_roles": scope.roles,
            "plan_items": plan_items,
        },
    )
    record(
        action=AuditEvent.Action.EXPORTED,
        user=request.user,
        facility=access.facility,
        download="report",
        format="pdf",
        round=round_.label,
    )
    name = slugify(f"{access.facility.slug} {round_.label}") or "report"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="readiness-{name}.pdf"'
    return response
