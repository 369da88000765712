"""Expiry: prepared files are deleted when they expire, when they failed, and when their
download is deleted."""

import shutil
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from readiness.models import PreparedDownload
from readiness.services.downloads.storage import SILENT_FOR, Status, part_of, path_of


def forget(download: PreparedDownload) -> None:
    """Delete a download and its file."""
    PreparedDownload.objects.filter(pk=download.pk).delete()  # (files: _download_deleted)


def expired(download: PreparedDownload) -> bool:
    return download.expires_at <= timezone.now()


def purge_expired(*, strays: bool = False) -> int:
    """Delete the downloads past their time, with their files, and the files of downloads
    that failed or whose worker fell silent; with ``strays`` (the hourly command), files
    no download names any more, left by a worker killed mid-way. How many downloads
    were deleted."""
    now = timezone.now()
    gone = list(PreparedDownload.objects.filter(expires_at__lte=now))
    PreparedDownload.objects.filter(pk__in=[d.pk for d in gone]).delete()  # (files: signal)
    for download in PreparedDownload.objects.filter(
        Q(status=Status.FAILED) | Q(status=Status.PREPARING, updated_at__lt=now - SILENT_FOR)
    ):
        delete_files(download)
    if strays:
        _delete_orphans(older_than=now - SILENT_FOR)
    return len(gone)


def delete_files(download: PreparedDownload) -> None:
    path_of(download).unlink(missing_ok=True)
    part_of(download).unlink(missing_ok=True)


def _delete_orphans(*, older_than) -> None:
    folder = Path(settings.DOWNLOADS_DIR)
    if not folder.is_dir():
        return
    known = {str(pk) for pk in PreparedDownload.objects.values_list("pk", flat=True)}
    for path in folder.iterdir():
        name = path.name.split(".")[0][:36]  # a download's id, or a temporary folder's
        try:
            stale = path.stat().st_mtime < older_than.timestamp()
        except FileNotFoundError:  # (deleted meanwhile)
            continue
        if name not in known and stale:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(
                missing_ok=True
            )


@receiver(post_delete, sender=PreparedDownload)
def _download_deleted(sender, instance, **kwargs):
    """However a download goes (expired, its facility, network or person removed), its
    files go with it."""
    delete_files(instance)
