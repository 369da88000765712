"""Importing answers from a CSV file (paper surveys, other tools).

All or nothing: the whole file is checked before anything is written, and the writes
run in one transaction, so a rejected file leaves the database exactly as it was.
"""

import csv
import io
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from readiness.models import (
    Answer,
    DeterminantScore,
    Facility,
    Instrument,
    Item,
    Respondent,
    Role,
    Round,
)
from readiness.scoring import respondent_scores
from readiness.services import quality
from readiness.services.releases import refresh_release

COLUMNS = ("respondent", "role", "item", "value")
SCALE_VALUES = {"1", "2", "3", "4", "5"}
SPECIAL_VALUES = {"DK": Answer.Kind.DONT_KNOW, "NA": Answer.Kind.NOT_APPLICABLE}
MAX_ID_LENGTH = 64
# Enough to fix a file in one go without drowning the message.
MAX_REPORTED_ERRORS = 20


class ImportRejected(Exception):
    """The file was refused; ``errors`` lists what is wrong, each naming its line."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True)
class ImportSummary:
    round: Round
    round_created: bool
    respondents: int
    answers: int
    replaced: int


@dataclass(frozen=True)
class _Row:
    line: int
    respondent: str
    role: Role
    item: Item
    kind: str
    value: int | None


def _decode(content: bytes) -> str:
    if not content.strip():
        raise ImportRejected(["The file is empty."])
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRejected(
            [f"The file is not UTF-8 text (byte {error.start + 1}). Save it as CSV UTF-8."]
        ) from None


def _parse(text: str, *, instrument: Instrument) -> list[_Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip().lower() for column in next(reader)]
    except (StopIteration, csv.Error):
        raise ImportRejected(["Line 1: the header row is missing."]) from None
    missing = [column for column in COLUMNS if column not in header]
    unexpected = [column for column in header if column not in COLUMNS]
    if missing or unexpected or len(header) != len(set(header)):
        problems = []
        if missing:
            problems.append("missing column(s): " + ", ".join(missing))
        if unexpected:
            problems.append("unexpected column(s): " + ", ".join(repr(c) for c in unexpected))
        if len(header) != len(set(header)):
            problems.append("a column appears twice")
        raise ImportRejected(
            ["Line 1: " + "; ".join(problems) + ". Expected: " + ",".join(COLUMNS) + "."]
        )
    position = {column: header.index(column) for column in COLUMNS}

    roles = {role.code: role for role in Role.objects.filter(instrument=instrument)}
    items = {
        item.code: item for item in Item.objects.filter(determinant__domain__instrument=instrument)
    }
    errors: list[str] = []
    rows: list[_Row] = []
    seen: dict[tuple[str, str], int] = {}
    role_of: dict[str, tuple[str, int]] = {}
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                errors.append(f"Line {line}: expected {len(header)} values, found {len(record)}.")
                continue
            respondent, role_code, item_code, raw_value = (
                record[position[column]].strip() for column in COLUMNS
            )
            problems = []
            if not respondent:
                problems.append("the respondent id is empty")
            elif len(respondent) > MAX_ID_LENGTH:
                problems.append(f"the respondent id is longer than {MAX_ID_LENGTH} characters")
            if role_code not in roles:
                problems.append(f"unknown role {role_code!r}")
            if item_code not in items:
                problems.append(f"unknown item {item_code!r}")
            value = raw_value.upper()
            if value not in SCALE_VALUES and value not in SPECIAL_VALUES:
                problems.append(f"value {raw_value!r} is not 1-5, DK or NA")
            elif value == "NA" and not instrument.offers_not_applicable:
                problems.append(
                    f"value 'NA' is not an answer of instrument {instrument.version} "
                    "(statements a role cannot judge are not asked of it)"
                )
            if (
                item_code in items
                and role_code in roles
                and not items[item_code].is_asked_of(role_code)
            ):
                problems.append(f"item {item_code} is not asked of role {role_code!r}")
            if respondent and role_code in roles:
                first_role, first_line = role_of.setdefault(respondent, (role_code, line))
                if first_role != role_code:
                    problems.append(
                        f"respondent {respondent!r} has role {first_role!r} on line "
                        f"{first_line} and {role_code!r} here"
                    )
            if respondent and item_code in items:
                earlier = seen.setdefault((respondent, item_code), line)
                if earlier != line:
                    problems.append(
                        f"respondent {respondent!r} answers {item_code} twice "
                        f"(also on line {earlier})"
                    )
            if problems:
                errors.append(f"Line {line}: " + "; ".join(problems) + ".")
                continue
            rows.append(
                _Row(
                    line=line,
                    respondent=respondent,
                    role=roles[role_code],
                    item=items[item_code],
                    kind=SPECIAL_VALUES.get(value, Answer.Kind.SCALE),
                    value=int(value) if value in SCALE_VALUES else None,
                )
            )
    except csv.Error as error:
        errors.append(f"Line {reader.line_num}: the CSV is malformed ({error}).")
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        if len(errors) > len(shown):
            shown.append(f"... and {len(errors) - len(shown)} more problem(s).")
        raise ImportRejected(shown)
    if not rows:
        raise ImportRejected(["The file has a header but no answers."])
    return rows


def import_responses(
    *, facility: Facility, round_label: str, content: bytes, replace: bool = False
) -> ImportSummary:
    """Import a whole file of finished respondents into a facility's round.

    The round is created, with the current instrument, when the facility has none with
    this label. A respondent id the round already has is refused unless ``replace``,
    which swaps that respondent's earlier answers for the file's.
    """
    round_label = round_label.strip()
    if not round_label or len(round_label) > Round._meta.get_field("label").max_length:
        raise ImportRejected(["The round label must be 1 to 80 characters."])
    text = _decode(content)
    round_ = Round.objects.filter(facility=facility, label=round_label).first()
    instrument = round_.instrument if round_ else Instrument.current()
    if instrument is None:
        raise ImportRejected(["No instrument is loaded; run `manage.py load_instrument` first."])
    rows = _parse(text, instrument=instrument)

    ids = list(dict.fromkeys(row.respondent for row in rows))
    existing = list(Respondent.objects.filter(round=round_, import_id__in=ids)) if round_ else []
    if existing and not replace:
        taken = sorted(r.import_id for r in existing)
        raise ImportRejected(
            [
                "This round already has respondent(s) "
                + ", ".join(taken[:10])
                + (" and more" if len(taken) > 10 else "")
                + ". Use --replace to replace their answers."
            ]
        )

    published = sorted(r.import_id for r in existing if r.published)
    if published:
        # Published results only ever grow (services/releases.py): replacing someone's
        # answers in them would show the change to anyone comparing before and after.
        raise ImportRejected(
            [
                "Respondent(s) "
                + ", ".join(published[:10])
                + (" and more" if len(published) > 10 else "")
                + " are already in the round's published results, so their answers cannot "
                "be replaced: anyone comparing the results before and after would see the "
                "change. Import the corrections into a new round."
            ]
        )

    today = timezone.localdate()
    with transaction.atomic():
        round_created = round_ is None
        if round_created:
            round_ = Round.objects.create(
                facility=facility, instrument=instrument, label=round_label
            )
        if existing:
            Respondent.objects.filter(pk__in=[r.pk for r in existing]).delete()
        role_of = {row.respondent: row.role for row in rows}
        respondents = Respondent.objects.bulk_create(
            Respondent(
                round=round_,
                role=role_of[import_id],
                import_id=import_id,
                status=Respondent.Status.FINISHED,
                started_on=today,
                finished_on=today,
            )
            for import_id in ids
        )
        pk_of = {r.import_id: r.pk for r in respondents}
        Answer.objects.bulk_create(
            (
                Answer(
                    respondent_id=pk_of[row.respondent],
                    item=row.item,
                    kind=row.kind,
                    value=row.value,
                )
                for row in rows
            ),
            batch_size=2000,
        )
        DeterminantScore.objects.bulk_create(
            respondent_scores(list(pk_of.values())), batch_size=2000
        )
        # Straight-lining only: an import's time to complete is unknown, so never too fast.
        quality.flag(pk_of.values())
        refresh_release(round_id=round_.pk)
    return ImportSummary(
        round=round_,
        round_created=round_created,
        respondents=len(ids),
        answers=len(rows),
        replaced=len(existing),
    )
