"""A round's results: the dashboard page and results.json, both through readiness.disclosure."""

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from readiness import dashboards, disclosure, reports
from readiness.forms import ExcludeFlaggedForm
from readiness.models import PreparedDownload
from readiness.permissions import facility_access, round_for
from readiness.rendered import RESULTS_TIMEOUT
from readiness.services import audit, downloads


def results_html(round_, *, scope: disclosure.Scope, plan: str) -> str:
    """The scored part of the dashboard, rendered once per version of the results. No
    form is rendered in here: a kept CSRF token would be one user's."""
    key = dashboards.results_key_for(round_, scope, plan)
    html = cache.get(key)
    if html is None:
        context = dashboards.results_context(round_, scope=scope, plan=plan)
        html = render_to_string("dashboard/_results.html", context)
        cache.set(key, html, RESULTS_TIMEOUT)
    return html


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
        "exclude_flagged_form": ExcludeFlaggedForm(initial={"exclude": round_.exclude_flagged}),
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
    dashboard shows the round: prepared in the background (services/downloads/), since
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
