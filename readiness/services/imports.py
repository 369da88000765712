"""Importing answers from a CSV file (paper surveys, other tools).

All or nothing: the whole file is checked before anything is written, and the writes
run in one transaction, so a rejected file leaves the database exactly as it was.

The file is read as a stream, never whole: the check keeps a few bytes per line (which
respondent, which statement, which answer, and the line number for messages), so memory
does not grow with the text. Everything that can be worked out before writing is, so the
transaction holds SQLite's single write lock briefly (every respondent's save waits for
it), and files above ``max_bytes()`` are refused before they are read.
"""

import csv
import io
import os
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import BinaryIO

from django.conf import settings
from django.db import connection, transaction
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
from readiness.services.facilities import results_changed
from readiness.services.releases import refresh_release

COLUMNS = ("respondent", "role", "item", "value")
SCALE_VALUES = {"1", "2", "3", "4", "5"}
SPECIAL_VALUES = {"DK": Answer.Kind.DONT_KNOW, "NA": Answer.Kind.NOT_APPLICABLE}
MAX_ID_LENGTH = 64
# Enough to fix a file in one go without drowning the message.
MAX_REPORTED_ERRORS = 20
# Rows per INSERT statement and respondents per scoring query: each batch stays far
# below the databases' limits on query parameters (SQLite 32,766, PostgreSQL 65,535).
BATCH_SIZE = 2000
RESPONDENTS_PER_QUERY = 200

# An answer as one small number in the compact rows: 1-5 are ratings.
_KIND_OF = {value: (Answer.Kind.SCALE, value) for value in range(1, 6)}
_KIND_OF |= {6: (Answer.Kind.DONT_KNOW, None), 7: (Answer.Kind.NOT_APPLICABLE, None)}
_CODE_OF = {str(value): value for value in range(1, 6)} | {"DK": 6, "NA": 7}


def max_bytes() -> int:
    """The largest file accepted, in bytes (settings.IMPORT_MAX_BYTES says why)."""
    return settings.IMPORT_MAX_BYTES


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


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.3g} MB"


def _too_large(size: int | None) -> ImportRejected:
    limit = max_bytes()
    found = f"The file has {size:,} bytes" if size is not None else "The file is larger"
    return ImportRejected(
        [
            f"{found}, more than the {_megabytes(limit)} ({limit:,} bytes) an import "
            "accepts (setting IMPORT_MAX_BYTES): a larger file would keep the database "
            "from respondents' answers while it is written. Split it into smaller files, "
            "keeping all of a respondent's lines in the same file, and import them one "
            "after the other into the same round."
        ]
    )


def _size_left(file: BinaryIO) -> int | None:
    """Bytes from the file's position to its end, when it can tell without reading."""
    try:
        if not file.seekable():
            return None
        position = file.tell()
        end = file.seek(0, os.SEEK_END)
        file.seek(position)
    except (AttributeError, OSError):
        return None
    return end - position


class _Counted(io.BufferedIOBase):
    """The file's bytes as they are read, counted and kept within the limit.

    The count also places a decoding error in the file, and the reader remembers whether
    everything so far was blank. It never closes the file it reads: the caller owns it.
    """

    def __init__(self, file: BinaryIO, limit: int):
        self._file = file
        self._limit = limit
        self.consumed = 0
        self.blank = True

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        # One read of the file per call: TextIOWrapper decodes exactly what it got, which
        # decoding_error_position relies on. Never more than one byte past the limit.
        room = self._limit + 1 - self.consumed
        data = self._file.read(room if size is None or size < 0 else min(size, room))
        if isinstance(data, str):
            raise TypeError("Open the file in binary mode ('rb').")
        self.consumed += len(data)
        if self.consumed > self._limit:
            raise _Overflow
        if self.blank and data and not data.isspace():
            self.blank = False
        return data

    read = read1

    def decoding_error_position(self, error: UnicodeDecodeError) -> int:
        """The error's byte in the file, from 1. The decoder got ``error.object``: the
        bytes it held back from earlier reads and all of the last one (without a byte
        order mark), so the object ends where reading stopped."""
        return self.consumed - len(error.object) + error.start + 1


class _Overflow(Exception):
    """Reading went past the size limit (a stream that could not tell its size)."""


@dataclass
class _Checked:
    """What the check keeps of a good file: a few bytes per line, in arrays.

    Respondents are numbered in order of appearance (``ids``, ``role_of``); each answer
    is one key, respondent number * statements + statement number (in ``items``), and
    one answer code (``_KIND_OF``).
    """

    ids: list[str]
    role_of: list[Role]
    items: list[Item]
    keys: array
    codes: array

    def answer_rows(self, respondent_pks: list[int]) -> Iterator[tuple]:
        item_pks = [item.pk for item in self.items]
        for key, code in zip(self.keys, self.codes, strict=True):
            respondent, item = divmod(key, len(item_pks))
            yield (respondent_pks[respondent], item_pks[item], *_KIND_OF[code])


def _header(reader, *, counted: _Counted, text: io.TextIOBase) -> list[str]:
    """The header row's columns; raises for a missing or wrong one, or for a file with
    nothing in it."""
    try:
        header = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        header = None
    except csv.Error:
        raise ImportRejected(["Line 1: the header row is missing."]) from None
    if not any(header or []):
        # Blank so far: read on, for "empty" when nothing but blanks follows.
        while text.read(64 * 1024):
            pass
        if counted.blank:
            raise ImportRejected(["The file is empty."])
    if header is None:
        raise ImportRejected(["Line 1: the header row is missing."])
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
    return header


def _check(reader, *, header: list[str], instrument: Instrument) -> _Checked:
    """Check every line; returns the compact rows, or raises with the first errors."""
    position = {column: header.index(column) for column in COLUMNS}
    width = len(header)
    roles = {role.code: role for role in Role.objects.filter(instrument=instrument)}
    items = list(Item.objects.filter(determinant__domain__instrument=instrument))
    item_number = {item.code: n for n, item in enumerate(items)}
    shown: list[str] = []  # the first MAX_REPORTED_ERRORS messages; the rest are counted
    problem_lines = 0
    number_of: dict[str, int] = {}  # respondent id -> number
    role_code: list[str | None] = []  # per respondent: the role of their first line ...
    role_line: list[int] = []  # ... and that line
    answered: list[int] = []  # per respondent: one bit per statement they answered
    # One entry per line naming a known respondent and statement, bad lines too: the line
    # of a statement's first answer is looked up here when a later line repeats it.
    # Four bytes a number while they fit: a file has fewer respondents and lines than
    # bytes, so keys stay below max_bytes() * statements.
    large = "I" if max_bytes() * max(len(items), 1) < 2**32 else "Q"
    keys, codes, lines = array(large), array("B"), array(large)
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != width:
                problem_lines += 1
                if len(shown) < MAX_REPORTED_ERRORS:
                    shown.append(f"Line {line}: expected {width} values, found {len(record)}.")
                continue
            respondent, role, item_code, raw_value = (
                record[position[column]].strip() for column in COLUMNS
            )
            problems = []
            if not respondent:
                problems.append("the respondent id is empty")
            elif len(respondent) > MAX_ID_LENGTH:
                problems.append(f"the respondent id is longer than {MAX_ID_LENGTH} characters")
            if role not in roles:
                problems.append(f"unknown role {role!r}")
            if item_code not in item_number:
                problems.append(f"unknown item {item_code!r}")
            value = raw_value.upper()
            if value not in SCALE_VALUES and value not in SPECIAL_VALUES:
                problems.append(f"value {raw_value!r} is not 1-5, DK or NA")
            elif value == "NA" and not instrument.offers_not_applicable:
                problems.append(
                    f"value 'NA' is not an answer of instrument {instrument.version} "
                    "(statements a role cannot judge are not asked of it)"
                )
            item = items[item_number[item_code]] if item_code in item_number else None
            if item is not None and role in roles and not item.is_asked_of(role):
                problems.append(f"item {item_code} is not asked of role {role!r}")
            if respondent:
                number = number_of.setdefault(respondent, len(number_of))
                if number == len(role_code):
                    role_code.append(None)
                    role_line.append(0)
                    answered.append(0)
                if role in roles:
                    if role_code[number] is None:
                        role_code[number], role_line[number] = role, line
                    elif role_code[number] != role:
                        problems.append(
                            f"respondent {respondent!r} has role {role_code[number]!r} on "
                            f"line {role_line[number]} and {role!r} here"
                        )
                if item is not None:
                    bit = 1 << item_number[item_code]
                    key = number * len(items) + item_number[item_code]
                    if answered[number] & bit:
                        # The earlier line is only looked for when the message is shown.
                        earlier = lines[keys.index(key)] if len(shown) < MAX_REPORTED_ERRORS else 0
                        problems.append(
                            f"respondent {respondent!r} answers {item_code} twice "
                            f"(also on line {earlier})"
                        )
                    else:
                        answered[number] |= bit
                        keys.append(key)
                        codes.append(_CODE_OF.get(value, 0))
                        lines.append(line)
            if problems:
                problem_lines += 1
                if len(shown) < MAX_REPORTED_ERRORS:
                    shown.append(f"Line {line}: " + "; ".join(problems) + ".")
    except csv.Error as error:
        problem_lines += 1
        if len(shown) < MAX_REPORTED_ERRORS:
            shown.append(f"Line {reader.line_num}: the CSV is malformed ({error}).")
    if problem_lines:
        if problem_lines > len(shown):
            shown.append(f"... and {problem_lines - len(shown)} more problem(s).")
        raise ImportRejected(shown)
    if not keys:
        raise ImportRejected(["The file has a header but no answers."])
    return _Checked(
        ids=list(number_of),
        role_of=[roles[code] for code in role_code],
        items=items,
        keys=keys,
        codes=codes,
    )


def _read(
    file: BinaryIO, *, facility: Facility, round_label: str
) -> tuple[Round | None, Instrument, _Checked]:
    """The first pass: the whole file checked as it streams by, nothing written."""
    counted = _Counted(file, max_bytes())
    text = io.TextIOWrapper(counted, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = _header(reader, counted=counted, text=text)
        round_ = Round.objects.filter(facility=facility, label=round_label).first()
        instrument = round_.instrument if round_ else Instrument.current()
        if instrument is None:
            raise ImportRejected(
                ["No instrument is loaded; run `manage.py load_instrument` first."]
            )
        return round_, instrument, _check(reader, header=header, instrument=instrument)
    except UnicodeDecodeError as error:
        # Alone, whatever else was found: in another encoding every line looks wrong.
        raise ImportRejected(
            [
                f"The file is not UTF-8 text (byte {counted.decoding_error_position(error)})."
                " Save it as CSV UTF-8."
            ]
        ) from None
    except _Overflow:
        raise _too_large(None) from None
    finally:
        # Let go of the caller's file without closing it.
        text.detach()


def _batches(rows: Iterable, size: int) -> Iterator[list]:
    rows = iter(rows)
    while batch := list(islice(rows, size)):
        yield batch


def _insert(model, fields: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Insert plain rows of ``fields`` (attribute names: every column but the id), by
    each database's bulk path rather than bulk_create, which builds a model instance and
    its SQL per row. For 100,000 answers (measured): SQLite's executemany 0.4 s against
    2.1 s, PostgreSQL's COPY 0.3 s against 1.9 s. On SQLite the transaction holds the
    database's one write lock meanwhile, and every respondent's save waits for it.
    """
    expected = {f.attname for f in model._meta.concrete_fields if not f.primary_key}
    if set(fields) != expected:  # a new column would otherwise be left to its SQL default
        raise ValueError(f"{model.__name__} rows need {sorted(expected)}, not {fields}")
    quote = connection.ops.quote_name
    # Names from the model's own metadata, quoted; the values go as parameters or data.
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    elif connection.vendor == "sqlite":
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        with connection.cursor() as cursor:
            # Lists, not one generator: Django's query log (DEBUG) counts the rows.
            for batch in _batches(rows, BATCH_SIZE):
                cursor.executemany(sql, batch)
    else:
        # In batches: bulk_create makes a list of everything it is given.
        for batch in _batches(rows, BATCH_SIZE):
            model.objects.bulk_create(model(**dict(zip(fields, row, strict=True))) for row in batch)


def _open(source: str | os.PathLike | BinaryIO | bytes):
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(source)
    if isinstance(source, str | os.PathLike):
        return open(source, "rb")  # closed by import_responses
    return source


def import_responses(
    *,
    facility: Facility,
    round_label: str,
    source: str | os.PathLike | BinaryIO | None = None,
    content: bytes | None = None,
    replace: bool = False,
) -> ImportSummary:
    """Import a whole file of finished respondents into a facility's round.

    ``source``: a path, or a file opened in binary mode (read from its position, left
    open); or ``content``, the file's bytes. A file above ``max_bytes()`` is refused.

    The round is created, with the current instrument, when the facility has none with
    this label. A respondent id the round already has is refused unless ``replace``,
    which swaps that respondent's earlier answers for the file's.
    """
    if (source is None) == (content is None):
        raise TypeError("Give the file as either source or content.")
    round_label = round_label.strip()
    if not round_label or len(round_label) > Round._meta.get_field("label").max_length:
        raise ImportRejected(["The round label must be 1 to 80 characters."])
    file = _open(source if source is not None else content)
    try:
        size = _size_left(file)
        if size is not None and size > max_bytes():
            raise _too_large(size)
        round_, instrument, checked = _read(file, facility=facility, round_label=round_label)
    finally:
        if file is not source:
            file.close()

    # Everything the transaction needs, prepared while others can still write.
    existing = []
    if round_ is not None:
        number_of = {import_id: n for n, import_id in enumerate(checked.ids)}
        existing = [
            (import_id, pk, published)
            for import_id, pk, published in Respondent.objects.filter(
                round=round_, import_id__isnull=False
            ).values_list("import_id", "pk", "published")
            if import_id in number_of
        ]
    if existing and not replace:
        taken = sorted(import_id for import_id, *_ in existing)
        raise ImportRejected(
            [
                "This round already has respondent(s) "
                + ", ".join(taken[:10])
                + (" and more" if len(taken) > 10 else "")
                + ". Use --replace to replace their answers."
            ]
        )
    published = sorted(import_id for import_id, _, was_published in existing if was_published)
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
    respondents = [
        Respondent(
            role=role,
            import_id=import_id,
            status=Respondent.Status.FINISHED,
            started_on=today,
            finished_on=today,
        )
        for import_id, role in zip(checked.ids, checked.role_of, strict=True)
    ]
    replaced = [pk for _, pk, _ in existing]

    with transaction.atomic():
        round_created = round_ is None
        if round_created:
            round_ = Round.objects.create(
                facility=facility, instrument=instrument, label=round_label
            )
        for batch in _batches(replaced, RESPONDENTS_PER_QUERY):
            Respondent.objects.filter(pk__in=batch).delete()
        for respondent in respondents:
            respondent.round = round_
        Respondent.objects.bulk_create(respondents, batch_size=BATCH_SIZE)
        pks = [respondent.pk for respondent in respondents]
        _insert(Answer, ("respondent_id", "item_id", "kind", "value"), checked.answer_rows(pks))
        for batch in _batches(pks, RESPONDENTS_PER_QUERY):
            _insert(
                DeterminantScore,
                ("respondent_id", "determinant_id", "score", "answers", "dont_know"),
                (
                    (s.respondent_id, s.determinant_id, s.score, s.answers, s.dont_know)
                    for s in respondent_scores(batch)
                ),
            )
            # Straight-lining only: an import's time to complete is unknown, so never
            # too fast.
            quality.flag(batch)
        refresh_release(round_id=round_.pk)
        if round_created:  # a new round, even one that publishes nothing yet
            results_changed(facility_id=facility.pk)
    return ImportSummary(
        round=round_,
        round_created=round_created,
        respondents=len(checked.ids),
        answers=len(checked.keys),
        replaced=len(replaced),
    )
