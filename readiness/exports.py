"""Everything a facility has stored, as JSON or CSV, streamed so that a large facility
downloads without building the file in memory."""

import csv
import json
from collections.abc import Iterator

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


def _answer_rows(facility: Facility):
    return (
        Answer.objects.filter(respondent__round__facility=facility)
        .order_by(
            "respondent__round_id",
            "respondent_id",
            "item__determinant__domain__position",
            "item__determinant__position",
            "item__position",
        )
        .values_list(
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


def csv_rows(facility: Facility) -> Iterator[str]:
    """The answers, one per line, in the import format plus round and dates."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for label, pk, import_id, role, status, started, finished, item, kind, value in _answer_rows(
        facility
    ):
        yield writer.writerow(
            [
                spreadsheet_safe(label),
                spreadsheet_safe(import_id or f"web-{pk}"),
                role,
                status,
                started,
                finished or "",
                item,
                _value(kind, value),
            ]
        )


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
    for label, pk, import_id, role, status, started, finished, item, kind, value in _answer_rows(
        facility
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
