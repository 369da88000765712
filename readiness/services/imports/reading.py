"""Reading a file of answers: the first pass, which checks the whole file as it streams by
and writes nothing.

The file is read as a stream, never whole: the check keeps a few bytes per line (which
respondent, which statement, which answer, and the line number for messages), so memory
does not grow with the text, and files above ``max_bytes()`` are refused before they are
read.
"""

import csv
import io
import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings

from readiness.models import Answer, Facility, Instrument, Item, Respondent, Role, Round

COLUMNS = ("respondent", "role", "item", "value")
SCALE_VALUES = {"1", "2", "3", "4", "5"}
SPECIAL_VALUES = {"DK": Answer.Kind.DONT_KNOW, "NA": Answer.Kind.NOT_APPLICABLE}
# What the column holds (64): longer ids are refused, never cut.
MAX_ID_LENGTH = Respondent._meta.get_field("import_id").max_length
# Enough to fix a file in one go without drowning the message.
MAX_REPORTED_ERRORS = 20

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
class CheckedFile:
    """What the check keeps of a good file: a few bytes per line, in arrays.

    Respondents are numbered in order of appearance (``ids``, ``role_of``); each answer
    is one key, respondent number * statements + statement number (in ``items``), and
    one answer code (``_KIND_OF``).
    """

    ids: list[str]
    role_of: list[Role]
    items: list[Item]
    keys: array
    codes: bytearray

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
    except csv.Error as error:
        raise ImportRejected([f"Line 1: the CSV is malformed ({error})."]) from None
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


def _line_of_first_answer(keys: array, lines: array, key: int) -> int:
    """The line of the answer kept under ``key``. It scans the answers so far, so it is
    only looked for when its message is shown: a file repeating tens of thousands of
    answers would take minutes otherwise."""
    return lines[keys.index(key)]


def _check(reader, *, header: list[str], instrument: Instrument) -> CheckedFile:
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
    # Eight bytes a key and a line number, which no file within any IMPORT_MAX_BYTES
    # outgrows (a key is below max_bytes() * statements); four would save 1 to 2.5 MB at
    # the default limit and overflow past about 4 GB / statements. One byte a code.
    keys, codes, lines = array("Q"), bytearray(), array("Q")
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
                        earlier = (
                            _line_of_first_answer(keys, lines, key)
                            if len(shown) < MAX_REPORTED_ERRORS
                            else 0
                        )
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
    return CheckedFile(
        ids=list(number_of),
        role_of=[roles[code] for code in role_code],
        items=items,
        keys=keys,
        codes=codes,
    )


def _read(
    file: BinaryIO, *, facility: Facility, round_label: str
) -> tuple[Round | None, Instrument, CheckedFile]:
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


def _open(source: str | os.PathLike | BinaryIO | bytes):
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(source)
    if isinstance(source, str | os.PathLike):
        return open(source, "rb")  # closed by read_file
    return source


def read_file(
    source: str | os.PathLike | BinaryIO | bytes, *, facility: Facility, round_label: str
) -> tuple[Round | None, Instrument, CheckedFile]:
    """The facility's round of that label (None when it has none yet), the instrument the
    file is read in (the round's, or the current one) and what the check kept of the file.

    ``source``: a path, the file's bytes, or a file opened in binary mode (read from its
    position and left open). Raises ImportRejected for anything wrong with the file.
    """
    file = _open(source)
    try:
        size = _size_left(file)
        if size is not None and size > max_bytes():
            raise _too_large(size)
        return _read(file, facility=facility, round_label=round_label)
    finally:
        if file is not source:
            file.close()
