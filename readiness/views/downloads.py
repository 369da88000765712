"""Downloads for everyone who may read a facility's results: its scores by round."""

from django.contrib.auth.decorators import login_required

from readiness import exports
from readiness.models import AuditEvent
from readiness.permissions import facility_access
from readiness.services.audit import record


@login_required
def scores(request, slug, fmt):
    """The facility's scores by round, CSV or XLSX: the dashboards' facility-level
    figures, every one from disclosure.released_summaries (exports.score_table).

    Whoever may read the facility's dashboards may download them, as with results.json:
    members of every level, network leaders, and partners with a live share, for the
    rounds it shares (404 for anyone else). The file holds no results by role, no
    strategies and no comparisons, which is what every disclosure.Scope includes. A
    download like the others: in the facility's audit log, whoever takes it."""
    access = facility_access(request.user, slug)
    facility = access.facility
    table = exports.score_table(facility, access.rounds())
    record(
        action=AuditEvent.Action.EXPORTED,
        user=request.user,
        facility=facility,
        download="scores",
        format=fmt,
    )
    return exports.download(fmt=fmt, name=f"{facility.slug}-scores", rows=lambda: iter(table))
