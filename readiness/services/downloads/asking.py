"""Asking for a download on a page: one at a time per person and kind, queued for the
task worker."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language

from readiness.models import AuditEvent, Facility, PreparedDownload
from readiness.services.audit import record_for_facilities
from readiness.services.downloads.expiry import purge_expired
from readiness.services.downloads.fetching import audit_detail
from readiness.services.downloads.storage import SILENT_FOR, Status


def request_download(
    *,
    user,
    kind: str,
    fmt: str,
    facilities: list[Facility],
    facility: Facility | None = None,
    network=None,
    include_unfinished: bool = False,
    query: str = "",
    round_=None,
) -> PreparedDownload:
    """A download of these facilities' answers (or a network's report on them, with the
    page's filters in ``query``), queued for the worker, with its request in each
    facility's audit log. Asking again for the same file while it is still being
    prepared gives the one already asked for (a double click makes one file)."""
    purge_expired()
    ids = sorted(f.pk for f in facilities)
    with transaction.atomic():
        # One person's requests one at a time: a lock on a row that is not there yet
        # (the waiting download) would not keep two clicks apart on PostgreSQL.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        # what the file holds: the same asked twice is one file
        what = {
            "requested_by": user,
            "kind": kind,
            "format": fmt,
            "facility": facility,
            "network": network,
            "round": round_,
            "facility_ids": ids,
            "include_unfinished": include_unfinished,
            "query": query,
            "language": get_language(),
        }
        waiting = (
            PreparedDownload.objects.select_for_update()
            .filter(
                **what,
                status__in=[Status.QUEUED, Status.PREPARING],
                updated_at__gte=timezone.now() - SILENT_FOR,
            )
            .first()
        )
        if waiting is not None:
            return waiting
        now = timezone.now()
        download = PreparedDownload.objects.create(
            **what,
            created_at=now,
            updated_at=now,
            expires_at=now + timedelta(hours=settings.DOWNLOADS_KEPT_HOURS),
        )
        record_for_facilities(
            action=AuditEvent.Action.DOWNLOAD_PREPARED,
            user=user,
            facilities=facilities,
            **audit_detail(download),
        )
        transaction.on_commit(lambda: _enqueue(download))
    return download


def _enqueue(download: PreparedDownload) -> None:
    from readiness.tasks import prepare_download

    prepare_download.enqueue(str(download.pk))
