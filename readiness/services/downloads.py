"""Downloads prepared in the background: answer-level files and a network's report for
the board, asked for on a page, written to a file by the task worker (readiness/tasks.py),
fetched by the people entitled to them until they expire (views/downloads.py).

A file is written under a temporary name and renamed only once complete, so a download
that fails or is interrupted is never delivered half-written: the person is told it
failed, and may ask again. Rows follow rule 4 of readiness.disclosure, as every download's do
(readiness/exports/)."""

import contextlib
import csv
import io
import logging
import os
import shutil
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from readiness import exports
from readiness.models import Answer, AuditEvent, Facility, PreparedDownload, Round
from readiness.services.audit import record_for_facilities

logger = logging.getLogger(__name__)

Status = PreparedDownload.Status
Format = PreparedDownload.Format

# A file being prepared writes its progress at least this often (every batch of
# exports.answers.RESPONDENTS_PER_QUERY respondents takes a second or two); one silent for
# longer lost its worker, and is reported as failed rather than left "being prepared".
SILENT_FOR = timedelta(minutes=10)
# A file still waiting after this long suggests no worker is running: the page says so.
WAITING_LONG = timedelta(minutes=2)


def path_of(download: PreparedDownload) -> Path:
    return Path(settings.DOWNLOADS_DIR) / f"{download.pk}.{download.format}"


def _part_of(download: PreparedDownload) -> Path:
    return Path(settings.DOWNLOADS_DIR) / f"{download.pk}.part"


# --- Asking -------------------------------------------------------------------------------


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
            **_audit_detail(download),
        )
        transaction.on_commit(lambda: _enqueue(download))
    return download


def _enqueue(download: PreparedDownload) -> None:
    from readiness.tasks import prepare_download

    prepare_download.enqueue(str(download.pk))


# --- Preparing (in the worker) ---------------------------------------------------------


class TooManyRows(Exception):
    pass


def prepare(download_id) -> None:
    """Write the file of a queued download: under a temporary name, readable by this
    server's user only, renamed when complete; on any failure the partial file is
    deleted and the download marked failed."""
    claimed = PreparedDownload.objects.filter(pk=download_id, status=Status.QUEUED).update(
        status=Status.PREPARING, updated_at=timezone.now()
    )
    if not claimed:  # gone, or already taken by another run of the task
        return
    download = PreparedDownload.objects.select_related("facility", "network").get(pk=download_id)
    if not still_allowed(download):  # revoked between asking and now
        withdraw(download)
        return
    if download.kind == PreparedDownload.Kind.ROUND_REPORT and not may_read_round(
        download, download.requested_by
    ):
        withdraw(download, _("You may no longer read this round's results."))
        return
    part = _part_of(download)
    try:
        _private_file(part)
        with translation.override(download.language), _private_temporary_files(download):
            rows = _write(download, part)
        _flush(part)
        size = part.stat().st_size
        os.replace(part, path_of(download))
    except TooManyRows as error:
        _failed(download, part, str(error))
    except Exception:
        logger.exception("Download %s could not be prepared", download.pk)
        _failed(
            download,
            part,
            _(
                "Something went wrong while preparing this file. Nothing was kept; please "
                "ask for it again."
            ),
        )
    else:
        ready = PreparedDownload.objects.filter(pk=download.pk, status=Status.PREPARING).update(
            status=Status.READY, rows=rows, size=size, updated_at=timezone.now()
        )
        if not ready:  # withdrawn (or deleted) while it was being written
            path_of(download).unlink(missing_ok=True)
        elif not still_allowed(download):  # revoked while it was being written
            withdraw(download)


def _private_file(path: Path) -> None:
    """An empty file only this server's user may read (the folder too): it will hold
    answers. The writers then open it again by name, keeping its mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))


def _flush(path: Path) -> None:
    """On disk before it is renamed, so that a ready download never points at a file a
    power cut left empty."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


@contextlib.contextmanager
def _private_temporary_files(download: PreparedDownload):
    """Temporary files made while writing (openpyxl keeps an XLSX's rows in one until it
    is saved) go in a folder of this download's own, beside the downloads, removed
    whatever happens: never answers left in the system's /tmp. The worker prepares one
    download at a time, so changing the process's temporary folder is safe here."""
    with tempfile.TemporaryDirectory(
        prefix=f"{download.pk}-", dir=settings.DOWNLOADS_DIR
    ) as folder:
        before, tempfile.tempdir = tempfile.tempdir, folder
        try:
            yield
        finally:
            tempfile.tempdir = before


def _failed(download, part: Path, message: str) -> None:
    part.unlink(missing_ok=True)
    # (not over a reason already given: withdrawn while it was being written)
    PreparedDownload.objects.filter(pk=download.pk, status=Status.PREPARING).update(
        status=Status.FAILED, failure=message, updated_at=timezone.now()
    )


def _write(download: PreparedDownload, part: Path) -> int | None:
    """Write the file; the number of answer rows in it (None for a document)."""
    if download.kind == PreparedDownload.Kind.NETWORK_REPORT:
        _write_report(download, part)
        return None
    if download.kind == PreparedDownload.Kind.ROUND_REPORT:
        _write_round_report(download, part)
        return None
    facilities = list(Facility.objects.filter(pk__in=download.facility_ids).order_by("name"))
    people = exports.shown_respondents(facilities, include_unfinished=download.include_unfinished)
    PreparedDownload.objects.filter(pk=download.pk).update(
        total=len(people), updated_at=timezone.now()
    )

    def progress(done: int) -> None:
        PreparedDownload.objects.filter(pk=download.pk).update(done=done, updated_at=timezone.now())

    with_facility = download.kind == PreparedDownload.Kind.NETWORK_ANSWERS
    counted = _Counted(exports.answer_rows(people, with_facility=with_facility, progress=progress))
    if download.format == Format.XLSX:
        rows = _answers_at_most(download)
        # (and while writing: people still answering may add rows after this count)
        counted.limit = exports.SPREADSHEET_ROWS
        if rows + 1 > exports.SPREADSHEET_ROWS:
            raise TooManyRows(_too_many_rows(rows))
        exports.write_xlsx(counted, title="answers", to=part)
    elif download.format == Format.CSV:
        with open(part, "w", encoding="utf-8", newline="") as out:
            out.writelines(exports.csv_stream(counted))
    elif download.format == Format.CSV_ZIP:
        instruments = Round.objects.filter(facility__in=facilities).values("instrument_id")
        with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            with archive.open("answers.csv", "w", force_zip64=True) as raw:
                with io.TextIOWrapper(raw, encoding="utf-8", newline="") as out:
                    out.writelines(exports.csv_stream(counted))
            with archive.open("data_dictionary.csv", "w") as raw:
                with io.TextIOWrapper(raw, encoding="utf-8", newline="") as out:
                    csv.writer(out).writerows(exports.data_dictionary(instruments))
    elif download.format == Format.JSON:
        with open(part, "w", encoding="utf-8") as out:
            out.writelines(
                exports.json_chunks(
                    download.facility,
                    include_unfinished=download.include_unfinished,
                    people=people,
                    progress=progress,
                )
            )
        progress(len(people))
        return None  # (a document, not rows)
    else:  # (the model's choices)
        raise ValueError(download.format)
    progress(len(people))
    return counted.rows


def _write_report(download: PreparedDownload, part: Path) -> None:
    """The network's report for the board, as the page's filters chose its sites."""
    from django.http import QueryDict

    from readiness import reports
    from readiness.comparison import overview, with_rows

    network = download.network
    context = overview(network, QueryDict(download.query))
    with_rows(context["sites"], context["codes"])
    context["heading"] = _("%(network)s · sites compared") % {"network": network.name}
    # every site the report names, with or without scores, as it names them now (one
    # may have joined since it was asked for): each sees the report in its audit log
    named = sorted(site.facility.pk for site in context["sites"])
    PreparedDownload.objects.filter(pk=download.pk).update(
        total=1, facility_ids=named, updated_at=timezone.now()
    )
    download.facility_ids = named
    part.write_bytes(reports.pdf("reports/network.html", context))
    PreparedDownload.objects.filter(pk=download.pk).update(done=1, updated_at=timezone.now())


def _write_round_report(download: PreparedDownload, part: Path) -> None:
    """The round's report as its dashboard shows it to the person who asked, with what
    they may read now (reports.round_report)."""
    from readiness import reports

    access, round_ = round_access(download, download.requested_by)
    PreparedDownload.objects.filter(pk=download.pk).update(total=1, updated_at=timezone.now())
    part.write_bytes(reports.round_report(access, round_))
    PreparedDownload.objects.filter(pk=download.pk).update(done=1, updated_at=timezone.now())


def round_access(download: PreparedDownload, user):
    """(what this person may read of the facility, the round) of a round's report; Http404
    or PermissionDenied once they may no longer read the round."""
    from readiness.permissions import facility_access, round_for

    access = facility_access(user, download.facility.slug)
    return access, round_for(access, download.round_id)


def _answers_at_most(download: PreparedDownload) -> int:
    """The answers of the people the file may show: at least as many as its rows (rows
    of statements asked of some roles only are left out of "small roles"). One count,
    through the facilities' rounds, so its cost follows the file, not the database."""
    answers = Answer.objects.filter(respondent__round__facility__in=download.facility_ids)
    if not download.include_unfinished:
        answers = answers.filter(respondent__published=True)
    return answers.count()


def _too_many_rows(rows: int) -> str:
    return ngettext(
        "This download has up to %(rows)s answer and a spreadsheet holds at most %(limit)s "
        "rows. Ask for the CSV or the compressed CSV instead.",
        "This download has up to %(rows)s answers and a spreadsheet holds at most "
        "%(limit)s rows. Ask for the CSV or the compressed CSV instead.",
        rows,
    ) % {"rows": f"{rows:,}", "limit": f"{exports.SPREADSHEET_ROWS:,}"}


class _Counted:
    """The answer rows, counted as they go by (the header is not an answer); past
    ``limit`` rows, the header included, they stop with TooManyRows."""

    def __init__(self, rows):
        self._rows = rows
        self.rows = -1
        self.limit: int | None = None

    def __iter__(self):
        for row in self._rows:
            self.rows += 1
            if self.limit is not None and self.rows + 1 > self.limit:
                raise TooManyRows(_too_many_rows(self.rows))
            yield row


# --- Fetching -----------------------------------------------------------------------------


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
    _delete_files(download)  # (a worker still writing then finds no file to rename)
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
        **_audit_detail(download),
    )


def _audit_detail(download: PreparedDownload) -> dict:
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


# --- Expiry -------------------------------------------------------------------------------


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
        _delete_files(download)
    if strays:
        _delete_orphans(older_than=now - SILENT_FOR)
    return len(gone)


def _delete_files(download: PreparedDownload) -> None:
    path_of(download).unlink(missing_ok=True)
    _part_of(download).unlink(missing_ok=True)


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
    _delete_files(instance)
