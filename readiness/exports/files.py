"""Rows written out: CSV generated while it is sent, XLSX written row by row (openpyxl's
write-only mode), and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value):
        return value


def safe_cells(row: list) -> list:
    return [spreadsheet_safe(v) if isinstance(v, str) else v for v in row]


def csv_stream(rows: Iterator[list]) -> Iterator[str]:
    """CSV lines, with every text cell a spreadsheet could run as a formula neutralised."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(safe_cells(row))


def write_xlsx(rows: Iterator[list], *, title: str, to) -> None:
    """Write rows to an .xlsx (``to``: a path or a binary file); openpyxl's write-only
    mode keeps one row in memory at a time."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    try:
        for row in rows:
            sheet.append(safe_cells(row))
    except BaseException:
        # openpyxl keeps the rows in a temporary file until it is saved: closed here, so
        # that it can be deleted at once (services/downloads/), not when the process ends
        with contextlib.suppress(Exception):
            sheet.close()
        raise
    workbook.save(to)


def xlsx_file(rows: Iterator[list], *, title: str):
    """Write rows to an .xlsx in a temporary file and return the open file, positioned at
    its start."""
    import tempfile

    handle = tempfile.TemporaryFile()
    write_xlsx(rows, title=title, to=handle)
    handle.seek(0)
    return handle


# Answer-level files are one row per answer; a spreadsheet holds 1,048,576 rows a sheet,
# the header included (Excel's limit, which LibreOffice and Google Sheets meet or lower).
SPREADSHEET_ROWS = 1_048_576


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(*, fmt: str, name: str, rows):
    """A download made inside the request (a table of scores, a network's comparison):
    CSV is generated while it is sent; XLSX is written row by row to a temporary file
    first, then streamed from it. Answer-level files are prepared in the background
    (services/downloads/)."""
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        response = StreamingHttpResponse(csv_stream(rows()), content_type="text/csv")
    else:
        response = FileResponse(xlsx_file(rows(), title=name), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{fmt}"'
    return response
