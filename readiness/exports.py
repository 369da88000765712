"""Downloads: everything a facility stored (JSON, CSV, XLSX), a network's answers and its
comparison table. CSV and JSON are generated while they are sent and XLSX is written row
by row, so a network's hundreds of thousands of answers never sit in memory at once."""

import csv
import json
from collections.abc import Iterator

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from readiness.models import Answer, Facility, Round

CSV_COLUMNS = [
    "round",
    "respondent",
    "role",
    "status",
    "started_on",
    "finished_on",
    "item",
    "value",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value):
        return value


def _answers(facilities):
    """Every answer of these facilities, in a stable order, as tuples: facility slug,
    round label, respondent pk and import id, role, status, dates, item, kind, value."""
    return (
        Answer.objects.filter(respondent__round__facility__in=facilities)
        .order_by(
            "respondent__round__facility_id",
            "respondent__round_id",
            "respondent_id",
            "item__determinant__domain__position",
            "item__determinant__position",
            "item__position",
        )
        .values_list(
            "respondent__round__facility__slug",
            "respondent__round__label",
            "respondent_id",
            "respondent__import_id",
            "respondent__role__code",
            "respondent__status",
            "respondent__started_on",
            "respondent__finished_on",
            "item__code",
            "kind",
            "value",
        )
        .iterator(chunk_size=5000)
    )


def _value(kind, value) -> str:
    return {"dk": "DK", "na": "NA"}.get(kind, str(value))


def answer_table(facilities, *, with_facility: bool) -> Iterator[list]:
    """Every answer of these facilities as rows (header first), for CSV or XLSX: the import
    format plus round, status and dates (csv_stream and xlsx_file neutralise formulas)."""
    yield (["facility"] if with_facility else []) + CSV_COLUMNS
    for slug, label, pk, import_id, role, status, started, finished, item, kind, value in _answers(
        facilities
    ):
        row = [
            label,
            import_id or f"web-{pk}",
            role,
            status,
            started,
            finished or "",
            item,
            _value(kind, value),
        ]
        yield ([slug] if with_facility else []) + row


def _safe_cells(row: list) -> list:
    return [spreadsheet_safe(v) if isinstance(v, str) else v for v in row]


def csv_stream(rows: Iterator[list]) -> Iterator[str]:
    """CSV lines, with every text cell a spreadsheet could run as a formula neutralised."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(_safe_cells(row))


def json_chunks(facility: Facility) -> Iterator[str]:
    """One JSON document: the facility, its rounds, and every respondent's answers."""
    head = {
        "facility": {
            "name": facility.name,
            "slug": facility.slug,
            "type": facility.type,
            "state": facility.state,
            "setting": facility.setting,
        },
        "rounds": [
            {
                "label": r.label,
                "status": r.status,
                "opened_on": r.opened_on.isoformat(),
                "closed_on": r.closed_on.isoformat() if r.closed_on else None,
                "instrument": r.instrument.version,
            }
            for r in Round.objects.filter(facility=facility).select_related("instrument")
        ],
    }
    yield json.dumps(head)[:-1] + ', "respondents": ['
    current, first = None, True
    for _slug, label, pk, import_id, role, status, started, finished, item, kind, value in _answers(
        [facility]
    ):
        if current != pk:
            if current is not None:
                yield "]}"
            yield (
                ("" if first else ",")
                + json.dumps(
                    {
                        "round": label,
                        "respondent": import_id or f"web-{pk}",
                        "role": role,
                        "status": status,
                        "started_on": started.isoformat(),
                        "finished_on": finished.isoformat() if finished else None,
                    }
                )[:-1]
                + ', "answers": ['
            )
            current, first, first_answer = pk, False, True
        yield ("" if first_answer else ",") + json.dumps(
            {"item": item, "value": _value(kind, value)}
        )
        first_answer = False
    if current is not None:
        yield "]}"
    yield "]}"


def xlsx_file(rows: Iterator[list], *, title: str):
    """Write rows to an .xlsx in a temporary file (openpyxl's write-only mode keeps one row
    in memory at a time) and return the open file, positioned at its start."""
    import tempfile

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append(_safe_cells(row))
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return handle


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(*, fmt: str, name: str, rows, json_chunks=None):
    """A streamed download: CSV and JSON are generated while they are sent; XLSX is
    written row by row to a temporary file first, then streamed from it."""
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        response = StreamingHttpResponse(csv_stream(rows()), content_type="text/csv")
    elif fmt == "xlsx":
        response = FileResponse(xlsx_file(rows(), title=name), content_type=XLSX_TYPE)
    else:
        response = StreamingHttpResponse(json_chunks(), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{fmt}"'
    return response
