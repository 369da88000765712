"""Fetching a prepared download: its status for the page, whether the person may still
have it (their access may have changed since they asked), and the audit of each fetch."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from readiness.models import AuditEvent, Facility, PreparedDownload
from readiness.services.audit import record_for_facilities
from readiness.services.downloads.expiry import delete_files
from readiness.services.downloads.storage import SILENT_FOR, WAITING_LONG, Status, path_of


def status_of(download: PreparedDownload) -> str:
    """The download's status as its page tells it: one whose worker fell silent failed."""
    if download.status == Status.PREPARING and download.updated_at < timezone.now() - SILENT_FOR:
        return Status.FAILED
    return download.status


def failure_of(download: PreparedDownload) -> str:
    if download.status == Status.PREPARING:  # (status_of says it failed)
        return _(
            "Preparing this file stopped before it finished. Nothing was kept; please ask "
            "for it again."
        )
    return download.failure


def waiting_long(download: PreparedDownload) -> bool:
    return download.status == Status.QUEUED and download.created_at < timezone.now() - WAITING_LONG


def still_allowed(download: PreparedDownload) -> bool:
    """Whether every facility in a network's file still allows the network its answers,
    and is still in the network: a site that withdrew its permission after the file was
    prepared takes its answers back with it."""
    if download.kind != PreparedDownload.Kind.NETWORK_ANSWERS:
        return True
    allowing = Facility.objects.filter(
        pk__in=download.facility_ids,
        network_id=download.network_id,
        network_answer_access=True,
    ).count()
    return allowing == len(download.facility_ids)


def may_read_round(download: PreparedDownload, user) -> bool:
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    try:
        round_access(download, user)
    except (Http404, PermissionDenied):
        return False
    return True


def withdraw(download: PreparedDownload, reason: str | None = None) -> None:
    """Delete the file of a download that may no longer be given, saying why (by
    default: a site no longer allows its network its answers)."""
    delete_files(download)  # (a worker still writing then finds no file to rename)
    PreparedDownload.objects.filter(pk=download.pk).update(
        status=Status.FAILED,
        failure=reason
        or _(
            "A site withdrew its permission for the network to download its answers, or "
            "left the network, after this file was asked for, so the file was deleted. "
            "Ask again for the sites that allow it now."
        ),
        updated_at=timezone.now(),
    )


def withdraw_for(*, facility_id: int, network_id: int | None = None, reason=None) -> None:
    """Delete at once the files, prepared or being prepared, that hold this facility's
    answers or figures: the network's answer files, when the site stops allowing it
    (``network_id``); every one, its own and its network's, when a round or the facility
    is deleted or its smallest group raised (``network_id`` None)."""
    downloads = PreparedDownload.objects.exclude(status=Status.FAILED)
    if network_id is not None:
        downloads = downloads.filter(
            kind=PreparedDownload.Kind.NETWORK_ANSWERS, network_id=network_id
        )
    else:
        scope = Q(facility_id=facility_id)
        network = (
            Facility.all_objects.filter(pk=facility_id).values_list("network_id", flat=True).first()
        )
        if network is not None:
            scope |= Q(network_id=network)
        downloads = downloads.filter(scope)
    for download in downloads:  # (of a network's files, those that hold this site)
        if facility_id in download.facility_ids:
            withdraw(download, reason)


def withdraw_changed(facility_id: int) -> None:
    """A round or the facility deleted, or its smallest group raised: the answer files
    prepared before no longer follow what its owners decided."""
    withdraw_for(
        facility_id=facility_id,
        reason=_(
            "The facility's owners deleted answers or raised the smallest group shown "
            "after this file was asked for, so the file was deleted. Ask for it again."
        ),
    )


def record_fetch(download: PreparedDownload, user) -> None:
    """Each facility whose answers the file holds sees the download in its own log."""
    record_for_facilities(
        action=AuditEvent.Action.EXPORTED,
        user=user,
        facilities=Facility.objects.filter(pk__in=download.facility_ids).only("pk"),
        **audit_detail(download),
    )


def audit_detail(download: PreparedDownload) -> dict:
    """What the audit log says of a download, asked for or fetched."""
    if download.kind == PreparedDownload.Kind.ROUND_REPORT:
        return {"download": "report", "format": download.format, "round": download.round.label}
    if download.network_id:
        report = download.kind == PreparedDownload.Kind.NETWORK_REPORT
        return {
            "download": "network report" if report else "network answers",
            "network": download.network.name,
            "format": download.format,
        }
    return {
        "download": "answers",
        "format": download.format,
        "unfinished_included": download.include_unfinished,
    }


def open_file(download: PreparedDownload):
    """The ready file, open for reading; None when it is not on disk."""
    try:
        return open(path_of(download), "rb")  # noqa: SIM115 (FileResponse closes it)
    except FileNotFoundError:
        return None


def round_access(download: PreparedDownload, user):
    """(what this person may read of the facility, the round) of a round's report; Http404
    or PermissionDenied once they may no longer read the round."""
    from readiness.permissions import facility_access, round_for

    access = facility_access(user, download.facility.slug)
    return access, round_for(access, download.round_id)
