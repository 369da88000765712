"""Downloads: a facility's answers (JSON, CSV, XLSX), a network's answers and its
comparison table. CSV and JSON are generated while they are sent and XLSX is written row
by row, so a network's hundreds of thousands of answers never sit in memory at once.

Answer-level data follows rule 4 of disclosure.py: fresh random respondent ids in every
download (never database or import ids), respondents in a random order, only the people
in the published results unless asked for everyone, small roles merged
(disclosure.answer_level_role), and the round's dates instead of each respondent's."""

import csv
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from readiness import disclosure
from readiness.models import Answer, Facility, Respondent, Round, RoundRelease

CSV_COLUMNS = [
    "round",
    "respondent",
    "role",
    "status",
    "opened_on",
    "closed_on",
    "item",
    "value",
]
# Respondents whose answers one query reads: the file follows a random order of
# respondents, so their answers are read a bounded batch of respondents at a time.
RESPONDENTS_PER_QUERY = 500
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value):
        return value


@dataclass(frozen=True)
class Shown:
    """One respondent as an answer-level download shows them."""

    pk: int  # to read their answers; never written out
    facility: str  # slug
    round: str  # label
    opened_on: date
    closed_on: date | None
    id: str  # fresh and random in every download
    role: str  # a role code, or disclosure.SMALL_ROLES
    status: str


def _fresh_id(taken: set[str]) -> str:
    """A random id not yet used in this file. The letter in front keeps spreadsheets from
    reading an id such as 12345e67 as a number and showing two ids the same."""
    while True:
        candidate = "r" + secrets.token_hex(4)
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def shown_respondents(facilities, *, include_unfinished: bool = False) -> list[Shown]:
    """The respondents of these facilities an answer-level download shows, in two queries:
    rounds by facility and date, respondents in a fresh random order within each round,
    each with a fresh random id and their role, or "small roles" (rule 4 of disclosure.py).

    Import ids are left out as well as database ids: they are whatever the facility typed,
    possibly a name or a staff number, and the random id serves the same purpose."""
    rounds = {
        r.pk: r
        for r in Round.objects.filter(facility__in=facilities)
        .select_related("facility", "release")
        .order_by("facility__name", "facility_id", "opened_on", "pk")
    }
    people = Respondent.objects.filter(round__facility__in=facilities)
    if not include_unfinished:
        # Only people in the published results, so that rows, like the results, appear
        # only in steps of the minimum group: a download before and after one colleague
        # finishes shows no new row (rule 3 of disclosure.py).
        people = people.filter(published=True)
    # (respondents of a round opened between the two queries are left out)
    people = [
        person
        for person in people.values_list("pk", "round_id", "role__code", "status", "published")
        if person[1] in rounds
    ]
    secrets.SystemRandom().shuffle(people)
    if include_unfinished:
        people = _without_lone_small_roles(people, rounds)
    position = {round_id: n for n, round_id in enumerate(rounds)}
    people.sort(key=lambda person: position[person[1]])  # stable: random within a round
    taken: set[str] = set()
    shown = []
    for pk, round_id, role, status, _published in people:
        round_ = rounds[round_id]
        shown.append(
            Shown(
                pk=pk,
                facility=round_.facility.slug,
                round=round_.label,
                opened_on=round_.opened_on,
                closed_on=round_.closed_on,
                id=_fresh_id(taken),
                role=disclosure.answer_level_role(
                    role, _release(round_), disclosure.min_group(round_.facility)
                ),
                status=status,
            )
        )
    return shown


def _without_lone_small_roles(people: list, rounds: dict) -> list:
    """With everyone included, the people not yet published whose rows would make "small
    roles" a group of fewer than the minimum are left out: one guard who finished after
    the last update would be a group of one. (Merging a named role instead would undo
    what another download names.) They appear once they are published."""
    small: dict[int, list] = {}
    for person in people:
        round_ = rounds[person[1]]
        role = disclosure.answer_level_role(
            person[2], _release(round_), disclosure.min_group(round_.facility)
        )
        if role == disclosure.SMALL_ROLES:
            small.setdefault(person[1], []).append(person)
    left_out = set()
    for round_id, group in small.items():
        if len(group) < disclosure.min_group(rounds[round_id].facility):
            left_out |= {person[0] for person in group if not person[4]}
    return [person for person in people if person[0] not in left_out]


def _release(round_: Round):
    try:
        return round_.release
    except RoundRelease.DoesNotExist:  # a round from before releases existed, once
        round_.release = disclosure.release_for(round_)  # (kept for its other respondents)
        return round_.release


def _value(kind, value) -> str:
    return {"dk": "DK", "na": "NA"}.get(kind, str(value))


def _answered(people: list[Shown]) -> Iterator[tuple[Shown, list[tuple[str, str]]]]:
    """Each respondent with their answers (item code, value) in questionnaire order, one
    query per RESPONDENTS_PER_QUERY respondents.

    Statements asked of some roles only are left out of the rows of "small roles": which
    of them a person answered would tell their role."""
    for start in range(0, len(people), RESPONDENTS_PER_QUERY):
        batch = people[start : start + RESPONDENTS_PER_QUERY]
        merged = {person.pk for person in batch if person.role == disclosure.SMALL_ROLES}
        answers: dict[int, list[tuple[str, str]]] = {}
        for respondent_id, item, kind, value, asked_of in (
            Answer.objects.filter(respondent_id__in=[person.pk for person in batch])
            .order_by(
                "respondent_id",
                "item__determinant__domain__position",
                "item__determinant__position",
                "item__position",
            )
            .values_list("respondent_id", "item__code", "kind", "value", "item__asked_of")
        ):
            if asked_of and respondent_id in merged:
                continue
            answers.setdefault(respondent_id, []).append((item, _value(kind, value)))
        for person in batch:
            yield person, answers.get(person.pk, [])


def answer_table(
    facilities, *, with_facility: bool, include_unfinished: bool = False
) -> Iterator[list]:
    """The answers of these facilities as rows (header first), for CSV or XLSX: one row per
    answer, under rule 4 of disclosure.py (csv_stream and xlsx_file neutralise formulas)."""
    yield (["facility"] if with_facility else []) + CSV_COLUMNS
    people = shown_respondents(facilities, include_unfinished=include_unfinished)
    for person, answers in _answered(people):
        head = [
            person.round,
            person.id,
            person.role,
            person.status,
            person.opened_on,
            person.closed_on or "",
        ]
        if with_facility:
            head.insert(0, person.facility)
        for item, value in answers:
            yield [*head, item, value]


def _safe_cells(row: list) -> list:
    return [spreadsheet_safe(v) if isinstance(v, str) else v for v in row]


def csv_stream(rows: Iterator[list]) -> Iterator[str]:
    """CSV lines, with every text cell a spreadsheet could run as a formula neutralised."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(_safe_cells(row))


def json_chunks(facility: Facility, *, include_unfinished: bool = False) -> Iterator[str]:
    """One JSON document: the facility, its rounds (with their dates), and each shown
    respondent's answers, under rule 4 of disclosure.py."""
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
        "minimum_group": disclosure.min_group(facility),
        "unfinished_included": include_unfinished,
    }
    yield json.dumps(head)[:-1] + ', "respondents": ['
    people = shown_respondents([facility], include_unfinished=include_unfinished)
    for n, (person, answers) in enumerate(_answered(people)):
        yield ("," if n else "") + json.dumps(
            {
                "round": person.round,
                "respondent": person.id,
                "role": person.role,
                "status": person.status,
                "answers": [{"item": item, "value": value} for item, value in answers],
            }
        )
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
