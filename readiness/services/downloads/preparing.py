"""Preparing a download in the task worker: the file written under a temporary name, in
private temporary files, renamed only once complete; a file too long for a spreadsheet
fails with a message that says so."""

import contextlib
import csv
import io
import logging
import os
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from readiness import exports
from readiness.models import Answer, Facility, PreparedDownload, Round
from readiness.services.downloads.fetching import (
    may_read_round,
    round_access,
    still_allowed,
    withdraw,
)
from readiness.services.downloads.storage import Format, Status, part_of, path_of

logger = logging.getLogger(__name__)


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
    part = part_of(download)
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
