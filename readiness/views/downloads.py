"""Downloads: a facility's scores by round, for everyone who may read its results, and
answer-level downloads, prepared in the background for their owners or network leaders
(services/downloads/)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from readiness import exports
from readiness.forms import AnswerDownloadForm
from readiness.models import Network, PreparedDownload
from readiness.permissions import facility_access, organisation_for, owner_access
from readiness.services import audit, downloads


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
    audit.record_download(user=request.user, facilities=[facility], download="scores", fmt=fmt)
    return exports.download(fmt=fmt, name=f"{facility.slug}-scores", rows=lambda: iter(table))


# --- Answer-level downloads, prepared in the background (services/downloads/) --------


def downloads_rate(group, request) -> str:
    """Answer-level downloads one person may ask for in an hour (settings), for
    django-ratelimit."""
    return settings.DOWNLOADS_PER_HOUR


@login_required
@require_POST
@ratelimit(key="user", rate=downloads_rate, group="answer-downloads", block=True)
def prepare_facility_answers(request, slug):
    """An owner asks for the facility's answers, one row per answer (rule 4 of
    readiness.disclosure): the people in the published results, and with ``unfinished`` everyone
    else too (still answering, or finished since the results were last updated)."""
    facility = owner_access(request.user, slug).facility
    form = AnswerDownloadForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the formats offered."))
        return redirect(facility)
    download = downloads.request_download(
        user=request.user,
        kind=PreparedDownload.Kind.FACILITY_ANSWERS,
        fmt=form.cleaned_data["format"],
        facilities=[facility],
        facility=facility,
        include_unfinished=form.cleaned_data["unfinished"],
    )
    return redirect(download)


@login_required
@require_POST
@ratelimit(key="user", rate=downloads_rate, group="answer-downloads", block=True)
def prepare_network_answers(request, slug):
    """A network leader asks for the answers of the sites whose owners allow it (rule 4
    of readiness.disclosure), read as they are now: revoking takes effect at once, for files
    already prepared too (services/downloads.still_allowed)."""
    network = organisation_for(request.user, Network, slug)
    form = AnswerDownloadForm(request.POST, network=True)
    if not form.is_valid():
        messages.error(request, _("Choose one of the formats offered."))
        return redirect(network)
    facilities = list(network.facilities.filter(network_answer_access=True).order_by("name"))
    if not facilities:
        messages.error(request, _("No site allows the network to download its answers yet."))
        return redirect(network)
    download = downloads.request_download(
        user=request.user,
        kind=PreparedDownload.Kind.NETWORK_ANSWERS,
        fmt=form.cleaned_data["format"],
        facilities=facilities,
        network=network,
    )
    return redirect(download)


def _download_for(user, download_id) -> PreparedDownload:
    """The download, for a person entitled to it: any owner of the facility for a
    facility's answers, the leader who asked for a network's, while they still lead it,
    the person who asked for a round's report, while they may read the round. 404 for
    everyone else, whether or not it exists."""
    download = (
        PreparedDownload.objects.select_related("facility", "network", "round")
        .filter(pk=download_id)
        .first()
    )
    if download is None:
        raise Http404
    try:
        if download.kind == PreparedDownload.Kind.FACILITY_ANSWERS:
            owner_access(user, download.facility.slug)
        elif download.kind == PreparedDownload.Kind.ROUND_REPORT:
            # made for this person's view of the round: theirs only, while they may read it
            if download.requested_by_id != user.pk:
                raise Http404
            downloads.round_access(download, user)
        else:
            if download.requested_by_id != user.pk:
                raise Http404
            organisation_for(user, Network, download.network.slug)
    except PermissionDenied:
        raise Http404 from None
    return download


def _gone(request, download) -> HttpResponse:
    """An expired download: its file is deleted, and the page says so."""
    downloads.forget(download)
    context = {"download": download, "kept_hours": settings.DOWNLOADS_KEPT_HOURS}
    return render(request, "downloads/expired.html", context, status=410)


def _state(download: PreparedDownload) -> dict:
    """What the page and its progress updates say of a download."""
    if download.status == PreparedDownload.Status.READY and not downloads.still_allowed(download):
        downloads.withdraw(download)
        download.refresh_from_db()
    status = downloads.status_of(download)
    done, total = download.done, download.total
    return {
        "status": status,
        "status_label": str(PreparedDownload.Status(status).label),
        "done": done,
        "total": total,
        "percent": round(100 * done / total) if total else 0,
        "failure": downloads.failure_of(download)
        if status == PreparedDownload.Status.FAILED
        else "",
        "waiting_long": downloads.waiting_long(download),
        "file_url": reverse("download-file", args=[download.pk])
        if status == PreparedDownload.Status.READY
        else None,
    }


@login_required
def download_status(request, download_id):
    """Where a download is: waiting, being prepared (how far), ready with its link, or
    failed with what to do. The page updates itself (static/js/download-status.js)."""
    download = _download_for(request.user, download_id)
    if downloads.expired(download):
        return _gone(request, download)
    context = {"download": download, **_state(download)}
    response = render(request, "downloads/status.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def download_progress(request, download_id):
    """The status page's updates, as JSON."""
    download = _download_for(request.user, download_id)
    if downloads.expired(download):
        downloads.forget(download)
        expired = _("This download has expired. Ask for it again.")
        return JsonResponse(
            {"status": "expired", "status_label": expired, "failure": expired}, status=410
        )
    state = _state(download)
    response = JsonResponse(
        {key: state[key] for key in ("status", "status_label", "done", "total", "percent")}
        | {
            "failure": str(state["failure"]),
            "file_url": state["file_url"],
            "count_label": ngettext(
                "%(done)s of %(total)s person", "%(done)s of %(total)s people", state["total"]
            )
            % {"done": state["done"], "total": state["total"]}
            if state["total"] and download.kind.endswith("answers")
            else "",
            "size_label": _size_label(download),
        }
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def download_file(request, download_id):
    """The prepared file, to the people entitled to it, while it is kept; each
    facility in it sees the download in its audit log."""
    download = _download_for(request.user, download_id)
    if downloads.expired(download):
        return _gone(request, download)
    state = _state(download)
    if state["status"] != PreparedDownload.Status.READY:
        return redirect(download)  # its page says where it is
    handle = downloads.open_file(download)
    if handle is None:  # (deleted by hand on the server)
        downloads.withdraw(download)
        return redirect(download)
    downloads.record_fetch(download, request.user)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download.file_name,
        content_type=DOWNLOAD_TYPES[download.format],
    )
    response["Cache-Control"] = "no-store"
    return response


def _size_label(download: PreparedDownload) -> str:
    """What the ready file holds, as its page says it."""
    parts = []
    if download.rows is not None:
        parts.append(
            ngettext("%(rows)s answer", "%(rows)s answers", download.rows) % {"rows": download.rows}
        )
    if download.size:
        parts.append(str(filesizeformat(download.size)))
    return " · ".join(parts)


DOWNLOAD_TYPES = {
    PreparedDownload.Format.CSV: "text/csv",
    PreparedDownload.Format.CSV_ZIP: "application/zip",
    PreparedDownload.Format.XLSX: exports.XLSX_TYPE,
    PreparedDownload.Format.JSON: "application/json",
    PreparedDownload.Format.PDF: "application/pdf",
}


@login_required
def my_downloads(request):
    """The person's downloads still kept, newest first (a facility's, asked for by any
    of its owners, appear to the one who asked)."""
    mine = PreparedDownload.objects.filter(
        requested_by=request.user, expires_at__gt=timezone.now()
    ).select_related("facility", "network")[:50]
    rows = [(download, downloads.status_of(download)) for download in mine]
    return render(
        request,
        "downloads/mine.html",
        {"rows": rows, "statuses": PreparedDownload.Status.choices},
    )
