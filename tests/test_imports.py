"""CSV import: all or nothing, every rejection names its line."""

import csv
import io
import itertools
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import tracemalloc
from contextlib import closing
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from readiness.models import Answer, DeterminantScore, Item, Respondent, Role, Round
from readiness.pages import questionnaire_pages
from readiness.services import responses
from readiness.services.imports import MAX_REPORTED_ERRORS, ImportRejected, import_responses
from readiness.services.responses import start_respondent
from tests.conftest import ROOT, csv_bytes, import_rows

GOOD = [("p1", "nurse", "EVAL-1", 4), ("p1", "nurse", "EVAL-2", "DK")]


def stored_nothing():
    return not (
        Round.objects.exists()
        or Respondent.objects.exists()
        or Answer.objects.exists()
        or DeterminantScore.objects.exists()
    )


def test_a_good_file_creates_the_round_and_finished_respondents(toy_instrument, facility):
    summary = import_rows(facility, "Paper 2026", GOOD + [("p2", "security", "EVAL-1", "na")])
    assert summary.round_created
    assert summary.round.instrument == toy_instrument
    assert (summary.respondents, summary.answers) == (2, 3)
    assert set(Respondent.objects.values_list("import_id", "status")) == {
        ("p1", "finished"),
        ("p2", "finished"),
    }
    # the day of the import, for both (the day, never the time: docs/security.md)
    today = timezone.localdate()
    assert set(Respondent.objects.values_list("started_on", "finished_on")) == {(today, today)}
    kinds = set(Answer.objects.values_list("item__code", "kind", "value"))
    assert kinds == {("EVAL-1", "scale", 4), ("EVAL-2", "dk", None), ("EVAL-1", "na", None)}
    assert DeterminantScore.objects.filter(respondent__import_id="p1").exists()


def test_a_byte_order_mark_and_windows_line_endings_are_accepted(toy_instrument, facility):
    content = b"\xef\xbb\xbfrespondent,role,item,value\r\np1,nurse,EVAL-1,4\r\n"
    summary = import_responses(facility=facility, round_label="R", content=content)
    assert summary.answers == 1


def test_a_respondent_id_of_the_longest_length_allowed_is_imported(toy_instrument, facility):
    longest = "x" * 64  # 65 is refused (test_a_bad_file_is_rejected_whole_with_its_line)
    summary = import_rows(facility, "R", [(longest, "nurse", "EVAL-1", 4)])
    assert summary.respondents == 1
    assert list(Respondent.objects.values_list("import_id", flat=True)) == [longest]


def test_line_breaks_within_a_quoted_id_are_kept_as_written(toy_instrument, facility):
    """The CSV reader gets the text untranslated (newline=""), as the csv module asks:
    ids differing only in their line breaks stay two respondents."""
    content = (
        b"respondent,role,item,value\r\n"
        b'"ward 3\r\nform 1",nurse,EVAL-1,4\r\n'
        b'"ward 3\nform 1",nurse,EVAL-1,2\r\n'
    )
    summary = import_responses(facility=facility, round_label="R", content=content)
    assert summary.respondents == 2
    assert set(Respondent.objects.values_list("import_id", flat=True)) == {
        "ward 3\r\nform 1",
        "ward 3\nform 1",
    }


def test_blank_lines_within_the_file_are_passed_over_and_the_lines_after_them_read(
    toy_instrument, facility
):
    content = (
        b"respondent,role,item,value\n"
        b"p1,nurse,EVAL-1,4\n"
        b"\n"
        b" , ,,\n"
        b"p1,nurse,EVAL-2,DK\n"
        b"p2,security,EVAL-1,2\n"
        b"\n"
    )
    summary = import_responses(facility=facility, round_label="R", content=content)
    assert (summary.respondents, summary.answers) == (2, 3)
    assert set(Answer.objects.values_list("respondent__import_id", "item__code")) == {
        ("p1", "EVAL-1"),
        ("p1", "EVAL-2"),
        ("p2", "EVAL-1"),
    }


EXPECTED = "Expected: respondent,role,item,value."
NOT_AN_ANSWER = "is not 1-5, DK or NA."
FIELD_TOO_LARGE = f"field larger than field limit ({csv.field_size_limit()})"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"   \n", "The file is empty."),
        (
            "respondent,role,item,value\np1,nurse,EVAL-1,4\np1,nurse,EVAL-2,\xe9".encode("latin-1"),
            "The file is not UTF-8 text (byte 62). Save it as CSV UTF-8.",
        ),
        (b"respondent,role,value\np1,nurse,4\n", f"Line 1: missing column(s): item. {EXPECTED}"),
        # a blank first line, then the header: the first line must be the header
        (
            b"\nrespondent,role,item,value\np1,nurse,EVAL-1,4\n",
            f"Line 1: missing column(s): respondent, role, item, value. {EXPECTED}",
        ),
        # Excel's "CSV UTF-8" of an empty sheet: a byte order mark and nothing else
        (b"\xef\xbb\xbf", "Line 1: the header row is missing."),
        # where the CSV reader gives up: the header, or a line among those listed
        (
            b'"' + b"r" * 140_000 + b'"\n',
            f"Line 1: the CSV is malformed ({FIELD_TOO_LARGE}).",
        ),
        (
            csv_bytes(GOOD) + b"p2,nurse,EVAL-1," + b"4" * 140_000 + b"\n",
            f"Line 4: the CSV is malformed ({FIELD_TOO_LARGE}).",
        ),
        (
            b"respondent,role,item,value,comment\np1,nurse,EVAL-1,4,x\n",
            f"Line 1: unexpected column(s): 'comment'. {EXPECTED}",
        ),
        (
            b"respondent,role,item,role,value\np1,nurse,EVAL-1,nurse,4\n",
            f"Line 1: a column appears twice. {EXPECTED}",
        ),
        (
            b"respondent,rol,itm,respondent\np1,nurse,EVAL-1,p1\n",
            "Line 1: missing column(s): role, item, value; unexpected column(s): 'rol', "
            f"'itm'; a column appears twice. {EXPECTED}",
        ),
        (b"respondent,role,item,value\n", "The file has a header but no answers."),
        (csv_bytes(GOOD + [("p2", "surgeon", "EVAL-1", 4)]), "Line 4: unknown role 'surgeon'."),
        (csv_bytes(GOOD + [("p2", "nurse", "EVAL-9", 4)]), "Line 4: unknown item 'EVAL-9'."),
        (csv_bytes(GOOD + [("p2", "nurse", "EVAL-1", 6)]), f"Line 4: value '6' {NOT_AN_ANSWER}"),
        (csv_bytes(GOOD + [("p2", "nurse", "EVAL-1", 0)]), f"Line 4: value '0' {NOT_AN_ANSWER}"),
        (
            csv_bytes(GOOD + [("p2", "nurse", "EVAL-1", "3.5")]),
            f"Line 4: value '3.5' {NOT_AN_ANSWER}",
        ),
        (csv_bytes(GOOD + [("p2", "nurse", "EVAL-1", "")]), f"Line 4: value '' {NOT_AN_ANSWER}"),
        (csv_bytes(GOOD + [("", "nurse", "EVAL-1", 3)]), "Line 4: the respondent id is empty."),
        (
            csv_bytes(GOOD + [("p1", "nurse", "EVAL-1", 2)]),
            "Line 4: respondent 'p1' answers EVAL-1 twice (also on line 2).",
        ),
        (
            csv_bytes(GOOD + [("p1", "security", "EVAL-3", 2)]),
            "Line 4: respondent 'p1' has role 'nurse' on line 2 and 'security' here.",
        ),
        (csv_bytes(GOOD) + b"p3,nurse,EVAL-1\n", "Line 4: expected 4 values, found 3."),
        (
            csv_bytes(GOOD + [("x" * 65, "nurse", "EVAL-1", 3)]),
            "Line 4: the respondent id is longer than 64 characters.",
        ),
    ],
)
def test_a_bad_file_is_rejected_whole_with_its_line(toy_instrument, facility, content, message):
    with pytest.raises(ImportRejected) as rejected:
        import_responses(facility=facility, round_label="R", content=content)
    assert rejected.value.errors == [message]
    assert stored_nothing()


def test_items_of_another_instrument_version_are_unknown_to_a_round(
    instrument, toy_instrument, facility
):
    # The round answers the toy instrument; LEGAL-1 exists only in the real one.
    Round.objects.create(facility=facility, instrument=toy_instrument, label="R")
    with pytest.raises(ImportRejected, match="unknown item 'LEGAL-1'"):
        import_rows(facility, "R", [("p1", "nurse", "LEGAL-1", 4)])
    summary = import_rows(facility, "R", [("p1", "nurse", "EVAL-1", 4)])
    assert summary.round.instrument == toy_instrument
    assert Respondent.objects.count() == 1


def test_every_problem_is_listed_not_just_the_first(toy_instrument, facility):
    rows = [("p1", "nurse", "EVAL-1", 9), ("", "nobody", "EVAL-1", 3)]
    with pytest.raises(ImportRejected) as rejected:
        import_rows(facility, "R", rows)
    assert rejected.value.errors == [
        "Line 2: value '9' is not 1-5, DK or NA.",
        "Line 3: the respondent id is empty; unknown role 'nobody'.",
    ]


def test_an_existing_respondent_id_is_refused_without_replace(toy_instrument, facility):
    import_rows(facility, "R", GOOD)
    with pytest.raises(ImportRejected) as rejected:
        import_rows(facility, "R", [("p1", "nurse", "EVAL-1", 1), ("p9", "nurse", "EVAL-1", 1)])
    assert rejected.value.errors == [
        "This round already has respondent(s) p1. Use --replace to replace their answers."
    ]
    assert Respondent.objects.count() == 1
    assert Answer.objects.get(item__code="EVAL-1").value == 4


def test_a_refusal_names_ten_respondents_and_says_when_there_are_more(toy_instrument, facility):
    people = [f"a{n:02}" for n in range(11)]
    import_rows(facility, "R", [(person, "nurse", "EVAL-1", 4) for person in people])

    def refusal(again, **options):
        rows = [(person, "nurse", "EVAL-1", 1) for person in again]
        with pytest.raises(ImportRejected) as rejected:
            import_rows(facility, "R", rows, **options)
        (message,) = rejected.value.errors
        return message

    ten = ", ".join(people[:10])
    assert refusal(people[:10]) == (
        f"This round already has respondent(s) {ten}. Use --replace to replace their answers."
    )
    assert refusal(people) == (
        f"This round already has respondent(s) {ten} and more. Use --replace to replace "
        "their answers."
    )
    assert refusal(people, replace=True).startswith(
        f"Respondent(s) {ten} and more are already in the round's published results"
    )
    assert refusal(people[:10], replace=True).startswith(
        f"Respondent(s) {ten} are already in the round's published results"
    )


def test_replace_swaps_the_respondents_answers(toy_instrument, facility):
    import_rows(facility, "R", GOOD)
    summary = import_rows(facility, "R", [("p1", "security", "EVAL-1", 1)], replace=True)
    assert summary.replaced == 1
    respondent = Respondent.objects.get()
    assert respondent.role.code == "security"
    assert list(respondent.answers.values_list("item__code", "value")) == [("EVAL-1", 1)]


def test_ids_of_another_round_are_neither_refused_nor_replaced(
    toy_instrument, facility, other_facility
):
    """Ids are a round's own: paper forms are numbered from 1 at every site and in
    every round. A file for one round never refuses, nor replaces, another's people."""
    import_rows(facility, "Spring", GOOD)
    import_rows(facility, "Autumn", [("q1", "nurse", "EVAL-1", 5)])
    import_rows(other_facility, "Spring", [("q1", "nurse", "EVAL-1", 5)])
    summary = import_rows(facility, "Autumn", GOOD, replace=True)
    assert (summary.round_created, summary.respondents, summary.replaced) == (False, 1, 0)
    summary = import_rows(other_facility, "Spring", GOOD)
    assert (summary.round_created, summary.respondents, summary.replaced) == (False, 1, 0)
    assert sorted(
        Respondent.objects.values_list("round__facility__slug", "round__label", "import_id")
    ) == [
        (facility.slug, "Autumn", "p1"),
        (facility.slug, "Autumn", "q1"),
        (facility.slug, "Spring", "p1"),
        (other_facility.slug, "Spring", "p1"),
        (other_facility.slug, "Spring", "q1"),
    ]
    spring = Respondent.objects.get(round__facility=facility, round__label="Spring")
    assert sorted(spring.answers.values_list("item__code", flat=True)) == ["EVAL-1", "EVAL-2"]


def test_a_failure_while_writing_leaves_nothing_behind(toy_instrument, facility, monkeypatch):
    from readiness.services.imports import storing

    def explode(ids):
        raise RuntimeError("disk full")

    monkeypatch.setattr(storing, "respondent_scores", explode)
    with pytest.raises(RuntimeError):
        import_rows(facility, "R", GOOD)
    assert stored_nothing()


def test_the_round_label_is_validated(toy_instrument, facility):
    for label in ("   ", "x" * 81):
        with pytest.raises(ImportRejected) as rejected:
            import_rows(facility, label, GOOD)
        assert rejected.value.errors == ["The round label must be 1 to 80 characters."]
    assert stored_nothing()
    longest = "x" * 80
    assert import_rows(facility, f" {longest} ", GOOD).round.label == longest


# --- Large files: a size limit, streaming, and other people's saves meanwhile ----------


def nurse_items(instrument) -> list[str]:
    return [
        item.code
        for item in Item.objects.filter(determinant__domain__instrument=instrument)
        if item.is_asked_of("nurse")
    ]


def nurse_rows(items: list[str], lines: range) -> list[tuple]:
    """Answer lines (numbered from 0) of nurses answering every statement in turn, with
    ids as a paper survey numbers its forms."""
    return [
        (f"ward-3-form-{n // len(items):05d}", "nurse", items[n % len(items)], n % 5 + 1)
        for n in lines
    ]


def lines_of(rows) -> bytes:
    return csv_bytes(rows).split(b"\n", 1)[1]


class Stream(io.RawIOBase):
    """A file that cannot tell its size, made up of ``parts`` as it is read, so that the
    test does not hold it either."""

    def __init__(self, parts):
        self.parts = iter(parts)
        self.pending = b""
        self.given = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        while len(self.pending) < len(buffer):
            part = next(self.parts, None)
            if part is None:
                break
            self.pending += part
        n = min(len(buffer), len(self.pending))
        buffer[:n], self.pending = self.pending[:n], self.pending[n:]
        self.given += n
        return n


def test_a_file_above_the_limit_is_refused_unread_saying_what_to_do(
    toy_instrument, facility, settings, tmp_path
):
    settings.IMPORT_MAX_BYTES = 2000
    path = tmp_path / "answers.csv"
    path.write_bytes(csv_bytes(GOOD * 100)[:2001])
    with pytest.raises(CommandError) as refused:
        call_command("import_responses", str(path), "--facility", "mercy", "--round", "R")
    assert str(refused.value) == (
        "Nothing was imported:\n"
        "The file has 2,001 bytes, more than the 0.00191 MB (2,000 bytes) an import accepts "
        "(setting IMPORT_MAX_BYTES): a larger file would keep the database from "
        "respondents' answers while it is written. Split it into smaller files, keeping "
        "all of a respondent's lines in the same file, and import them one after the other "
        "into the same round."
    )
    assert stored_nothing()

    class Unread(io.BytesIO):
        def read(self, size=-1):
            raise AssertionError("read before its size was checked")

    with pytest.raises(ImportRejected, match="^The file has 2,001 bytes, more than"):
        import_responses(facility=facility, round_label="R", source=Unread(path.read_bytes()))
    # Exactly at the limit is accepted.
    path.write_bytes(csv_bytes(GOOD) + b"\n" * (2000 - len(csv_bytes(GOOD))))
    assert import_responses(facility=facility, round_label="R", source=path).answers == 2
    # and so is an open file with more than the limit before where it stands: only what
    # is left of it is read
    with path.open("rb") as file:
        before = b"Exported from the paper survey tool\n" * 60
        stream = io.BytesIO(before + file.read())
    stream.seek(len(before))
    summary = import_responses(facility=facility, round_label="R2", source=stream)
    assert summary.answers == 2


def test_a_stream_that_cannot_tell_its_size_is_cut_off_at_the_limit(
    toy_instrument, facility, settings
):
    settings.IMPORT_MAX_BYTES = 100_000
    header = b"respondent,role,item,value\n"
    stream = Stream(itertools.chain([header], itertools.repeat(lines_of(GOOD), 10_000)))
    with pytest.raises(ImportRejected, match="^The file is larger, more than the 0.0954 MB"):
        import_responses(facility=facility, round_label="R", source=stream)
    assert stream.given <= 100_000 + 8192  # it stopped at the limit, not at the end
    assert stored_nothing()


def test_rows_without_every_column_of_the_table_are_refused_before_writing(db):
    """A column added to the model must be given by the import, not left to whatever
    default its SQL column has."""
    from readiness.services.imports.storing import _insert

    with pytest.raises(ValueError) as refused:
        _insert(DeterminantScore, ("respondent_id", "determinant_id", "score"), [(1, 1, 50.0)])
    assert str(refused.value) == (
        "DeterminantScore rows need ['answers', 'determinant_id', 'dont_know', "
        "'respondent_id', 'score'], not ('respondent_id', 'determinant_id', 'score')"
    )
    assert not DeterminantScore.objects.exists()


@pytest.mark.parametrize("size", [None, -1, 30, 1000])
def test_a_read_of_the_file_never_goes_more_than_a_byte_past_the_limit(size):
    """The count that keeps a stream within the limit (reading._Counted) holds for every
    size io allows, "all of it" included, and over many reads: the CSV reader asks for
    pieces today, but a read of everything must not load a stream of any length before
    it is refused."""
    from readiness.services.imports.reading import _Counted, _Overflow

    stream = io.BytesIO(b"x" * 5000)
    counted = _Counted(stream, limit=100)
    assert counted.read(0) == b"" and stream.tell() == 0  # nothing asked, nothing read
    with pytest.raises(_Overflow):
        while counted.read(size):
            pass
    assert stream.tell() == 101


def test_a_file_opened_as_text_is_refused_saying_how_to_open_it(toy_instrument, facility, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_bytes(csv_bytes(GOOD))
    with path.open(encoding="utf-8") as file, pytest.raises(TypeError) as refused:
        import_responses(facility=facility, round_label="R", source=file)
    assert str(refused.value) == "Open the file in binary mode ('rb')."
    assert stored_nothing()


def test_a_file_before_any_questionnaire_is_loaded_says_what_to_run(facility):
    with pytest.raises(ImportRejected) as rejected:
        import_rows(facility, "R", GOOD)
    assert rejected.value.errors == [
        "No instrument is loaded; run `manage.py load_instrument` first."
    ]
    assert stored_nothing()


def test_a_big_file_is_checked_as_it_streams_and_a_wrong_last_line_stores_nothing(
    instrument, facility, tmp_path
):
    # 60,000 lines, about 2 MB, then one answering again what line 2 answered.
    items = nurse_items(instrument)
    path = tmp_path / "answers.csv"
    with path.open("wb") as file:
        file.write(b"respondent,role,item,value\n")
        for n in range(0, 60_000, 1000):
            file.write(lines_of(nurse_rows(items, range(n, n + 1000))))
        file.write(lines_of([("ward-3-form-00000", "nurse", items[0], 3)]))
    tracemalloc.start()
    try:
        with pytest.raises(CommandError) as rejected:
            call_command("import_responses", str(path), "--facility", "mercy", "--round", "R")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(rejected.value) == (
        "Nothing was imported:\n"
        f"Line 60002: respondent 'ward-3-form-00000' answers {items[0]} twice (also on line 2)."
    )
    assert stored_nothing()
    # Holding the file takes its size at least (the import used to hold its bytes, its
    # text and a row object per line: 17 times the file); the check keeps about twenty
    # bytes per line (key, line number, answer), about half the file here.
    size = path.stat().st_size
    assert peak < size, (peak, size)


def test_a_path_and_an_open_file_are_read_from_where_they_stand(toy_instrument, facility, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_bytes(b"Exported from the paper survey tool\n" + csv_bytes(GOOD))
    with path.open("rb") as file:
        file.readline()  # the caller skips a line of its own
        summary = import_responses(facility=facility, round_label="A", source=file)
        assert not file.closed  # the caller's file is the caller's to close
    assert (summary.respondents, summary.answers) == (1, 2)
    path.write_bytes(csv_bytes(GOOD))
    summary = import_responses(facility=facility, round_label="B", source=path)
    assert (summary.respondents, summary.answers) == (1, 2)


def test_the_byte_of_a_decoding_error_is_counted_in_the_whole_file(toy_instrument, facility):
    # Excel's "CSV UTF-8" starts with a byte order mark; the bad byte lies far past the
    # first piece read.
    rows = [(f"p{n}", "nurse", "EVAL-1", 4) for n in range(3000)]
    content = b"\xef\xbb\xbf" + csv_bytes(rows) + b"p9,nurse,EVAL-2,\xe9\n"
    with pytest.raises(ImportRejected) as rejected:
        import_responses(facility=facility, round_label="R", content=content)
    byte = content.index(b"\xe9") + 1
    assert rejected.value.errors == [
        f"The file is not UTF-8 text (byte {byte}). Save it as CSV UTF-8."
    ]


def test_only_the_first_problems_are_listed_and_the_rest_counted(toy_instrument, facility):
    rows = GOOD + [(f"x{n}", "nurse", "EVAL-1", 9) for n in range(30)] + GOOD
    with pytest.raises(ImportRejected) as rejected:
        import_rows(facility, "R", rows)
    errors = rejected.value.errors
    assert len(errors) == MAX_REPORTED_ERRORS + 1
    assert errors[0] == "Line 4: value '9' is not 1-5, DK or NA."
    assert errors[-1] == "... and 12 more problem(s)."  # 10 more bad values, 2 repeats


def test_the_first_answer_of_a_repeat_is_looked_for_only_for_the_messages_shown(
    toy_instrument, facility, monkeypatch
):
    """Each look-up scans the answers read so far: a file repeating tens of thousands of
    answers, looked up for each, would take minutes to refuse."""
    from readiness.services.imports import reading

    looked_up = []
    real = reading._line_of_first_answer

    def counted(*args):
        looked_up.append(args[2])
        return real(*args)

    monkeypatch.setattr(reading, "_line_of_first_answer", counted)
    with pytest.raises(ImportRejected) as rejected:
        import_rows(facility, "R", GOOD + [("p1", "nurse", "EVAL-1", 2)] * 30)
    errors = rejected.value.errors
    assert errors[0] == "Line 4: respondent 'p1' answers EVAL-1 twice (also on line 2)."
    assert errors[MAX_REPORTED_ERRORS:] == ["... and 10 more problem(s)."]
    assert len(looked_up) == MAX_REPORTED_ERRORS


def test_lines_of_the_wrong_width_and_a_line_past_reading_count_as_problems(
    toy_instrument, facility
):
    """Lines with a value too few, then a value longer than the CSV reader takes (which
    ends the reading there): every one counted in the last message."""
    content = (
        csv_bytes(GOOD)
        + b"".join(b"p%d,nurse,EVAL-1\n" % n for n in range(25))
        + b"p99,nurse,EVAL-1,"
        + b"4" * 140_000
        + b"\n"
    )
    with pytest.raises(ImportRejected) as rejected:
        import_responses(facility=facility, round_label="R", content=content)
    errors = rejected.value.errors
    assert errors[:2] == [
        "Line 4: expected 4 values, found 3.",
        "Line 5: expected 4 values, found 3.",
    ]
    assert errors[MAX_REPORTED_ERRORS:] == ["... and 6 more problem(s)."]  # 5 short, 1 too long
    assert stored_nothing()


class SharedDatabase:
    """The test's data, for connections other than the test's own: threads, each with a
    connection of its own, and other processes.

    On PostgreSQL that is the test database. SQLite's test database is in memory (a file
    under mutmut: tests/conftest.py), where connections share one cache and lock tables
    rather than the file: at first use it is copied to a file, opened as in production
    (settings.DATABASES: WAL, the write lock taken at BEGIN), and from then on every
    connection here works on that file.
    """

    def __init__(self, path):
        self.path = path
        self.settings = None

    def _ready(self) -> dict:
        if self.settings is None:
            self.settings = dict(connection.settings_dict)
            if connection.vendor == "sqlite":
                connection.ensure_connection()
                with closing(sqlite3.connect(self.path)) as copy:
                    connection.connection.backup(copy)
                    copy.execute("PRAGMA journal_mode=WAL")
                self.settings["NAME"] = str(self.path)
        return self.settings

    def url(self) -> str:
        """DATABASE_URL for another process (settings.DATABASES)."""
        db = self._ready()
        if connection.vendor == "sqlite":
            return f"sqlite:///{db['NAME']}"
        user = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
        return f"postgres://{user}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"

    def in_thread(self, function):
        """Starts ``function`` in a thread; returns the thread and, once it has ended,
        the function's {"result": ...} or {"error": ...}."""
        db, backend = self._ready(), type(connections["default"])
        outcome = {}

        def target():
            if connection.vendor == "sqlite":
                connections["default"] = backend(db, "default")
            try:
                outcome["result"] = function()
            except BaseException as error:  # reported by the caller
                outcome["error"] = error
            finally:
                connections.close_all()

        thread = threading.Thread(target=target)
        thread.start()
        return thread, outcome

    def run(self, function):
        thread, outcome = self.in_thread(function)
        thread.join(timeout=30)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"]


@pytest.fixture
def shared_database(transactional_db, tmp_path):
    return SharedDatabase(tmp_path / "db.sqlite3")


def wait_for_locks_at_most(seconds: float):
    """Fail a statement that waits longer than this for another connection's lock."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
        else:
            cursor.execute(f"SET lock_timeout = '{int(seconds * 1000)}ms'")


# The command as an operator runs it, in a process of its own; prints when it began
# writing (its first BEGIN or write statement) and when it was done.
IMPORT_IN_ANOTHER_PROCESS = """
import json, sys, time
import django
django.setup()
from django.core.management import call_command
from django.db import connection
window = {}
def spy(execute, sql, params, many, context):
    if "start" not in window and sql.split()[0].upper() in {"BEGIN", "INSERT", "UPDATE", "DELETE"}:
        window["start"] = time.monotonic()
    return execute(sql, params, many, context)
with connection.execute_wrapper(spy):
    call_command("import_responses", *sys.argv[1:])
window["end"] = time.monotonic()
print(json.dumps(window))
"""


def test_an_imports_statements_do_not_grow_with_its_file(instrument, facility):
    """What keeps an import's write short, whatever the clock of the machine: answers and
    scores go in by the bulk path, so forty times the people run a few more statements
    (batches of bulk inserts, the scores of each 200 respondents), never one more for
    each answer."""
    items = nurse_items(instrument)

    def statements(label, people):
        content = csv_bytes(nurse_rows(items, range(people * len(items))))
        with CaptureQueriesContext(connection) as captured:
            import_responses(facility=facility, round_label=label, content=content)
        assert Answer.objects.filter(respondent__round__label=label).count() == people * len(items)
        return len(captured.captured_queries)

    few, many = statements("Few", 5), statements("Many", 205)
    # measured: 49 and 59 statements on SQLite (its batches of bulk inserts are small),
    # 47 and 48 on PostgreSQL; one statement per answer would be over 10,000 more
    assert many <= few + 20, (few, many)


def test_an_imports_writes_and_queries_go_in_bounded_batches(toy_instrument, facility, monkeypatch):
    """Each statement stays within the databases' limits on parameters (SQLite 32,766)
    however many people a file holds: the people replaced are deleted, and the new ones
    created and scored, a batch at a time."""
    from readiness.services.imports import storing

    monkeypatch.setattr(storing, "RESPONDENTS_PER_QUERY", 2)
    rows = [(f"p{n}", "nurse", "EVAL-1", 4) for n in range(5)]
    import_rows(facility, "R", rows[:2])  # two: fewer than published results take
    batches, created, scored = [], [], []
    real_batches, real_scores = storing._batches, storing.respondent_scores
    real_create = Respondent.objects.bulk_create

    def counted_batches(rows, size):
        batches.append(size)
        return real_batches(rows, size)

    def counted_scores(pks):
        scored.append(len(pks))
        return real_scores(pks)

    def counted_create(objs, **kwargs):
        created.append(kwargs.get("batch_size"))
        return real_create(objs, **kwargs)

    monkeypatch.setattr(storing, "_batches", counted_batches)
    monkeypatch.setattr(storing, "respondent_scores", counted_scores)
    monkeypatch.setattr(Respondent.objects, "bulk_create", counted_create)
    summary = import_rows(facility, "R", rows, replace=True)
    assert (summary.respondents, summary.replaced) == (5, 2)
    # the two replaced, deleted two at a time, then the five new, scored two at a time
    # (and on SQLite, the rows of answers and scores in batches of BATCH_SIZE between
    # them; PostgreSQL streams them with COPY)
    assert [size for size in batches if size != storing.BATCH_SIZE] == [2, 2]
    assert scored == [2, 2, 1]
    assert created == [storing.BATCH_SIZE]
    assert Respondent.objects.count() == 5


def test_respondents_elsewhere_save_while_a_big_file_is_imported(
    shared_database, instrument, open_round_, other_facility, tmp_path
):
    """Another facility's respondents keep saving pages while a file is imported.

    In production a save waits up to 20 s for SQLite's write lock (settings.DATABASES).
    Here: a 60,000-line file, and saves that give up after 5 s, a quarter of that, so
    that a loaded two-core machine does not fail it by chance (with 1.5 s it did, now and
    then). How long an import holds the lock is a speed figure, measured in
    docs/performance.md (Importing a file), not timed here; what keeps it short, writing
    in bulk, is held by the test above. PostgreSQL locks rows:
    nothing of the import is in a save's way there, and the test checks that it stays so.
    """
    path = tmp_path / "answers.csv"
    items = nurse_items(instrument)
    path.write_bytes(csv_bytes(nurse_rows(items, range(60_000))))
    nurse = Role.objects.get(instrument=instrument, code="nurse")
    tokens = [
        start_respondent(round_=open_round_, role=nurse, nonce=f"n{n}" * 10).token for n in range(3)
    ]
    pages = questionnaire_pages(instrument, "nurse")
    imported = threading.Event()
    environment = dict(os.environ, DATABASE_URL=shared_database.url())
    importer = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", IMPORT_IN_ANOTHER_PROCESS, str(path)]
        + ["--facility", "other", "--round", "Paper"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )

    def respond(token):
        wait_for_locks_at_most(5)
        saves, failures, last = [], [], {}
        while not saves or not imported.is_set():
            page = pages[len(saves) % len(pages)]
            answers = {item.pk: ("scale", len(saves) % 5 + 1) for item in page.items}
            started = time.monotonic()
            try:
                responses.save_page(
                    respondent=responses.find_respondent(token), page=page.number, answers=answers
                )
            except Exception as error:  # the view would answer 500
                failures.append(repr(error))
            else:
                last |= answers
            saves.append((started, time.monotonic()))
            time.sleep(0.01)
        return saves, failures, last

    respondents = [shared_database.in_thread(lambda t=token: respond(t)) for token in tokens]
    try:
        output, errors = importer.communicate(timeout=60)
    finally:
        imported.set()
    for thread, outcome in respondents:
        thread.join(timeout=30)
        assert "error" not in outcome, outcome
    assert importer.returncode == 0, errors.decode()
    *summary, window = output.decode().splitlines()
    people = -(-60_000 // len(items))
    assert summary == [
        f"Imported {people} respondents and 60000 answers into other / Paper (new round)"
    ]
    window = json.loads(window)
    outcomes = [outcome["result"] for _, outcome in respondents]
    assert [failures for _, failures, _ in outcomes] == [[], [], []]
    # Each respondent saved while the import was writing (on SQLite: waited for it).
    assert [
        any(started <= window["end"] and window["start"] <= ended for started, ended in saves)
        for saves, _, _ in outcomes
    ] == [True, True, True], "a respondent never saved during the write: this proves nothing"

    def stored():
        return Answer.objects.filter(respondent__round__facility__slug="other").count(), [
            dict(
                Answer.objects.filter(respondent=responses.find_respondent(token)).values_list(
                    "item_id", "value"
                )
            )
            for token in tokens
        ]

    imported, saved = shared_database.run(stored)
    assert imported == 60_000
    assert saved == [
        {item_id: value for item_id, (_kind, value) in last.items()} for *_, last in outcomes
    ]


def test_a_rejection_reads_as_its_errors_one_per_line():
    """What a caller that does not catch it (seed_demo, a shell) shows of a rejection."""
    rejection = ImportRejected(["Line 2: no such role.", "Line 3: no such statement."])
    assert str(rejection).splitlines() == rejection.errors


def test_a_caller_gives_the_file_one_way_exactly(facility):
    """A programming error, not a user's: said plainly, with nothing written."""
    for arguments in ({}, {"source": io.BytesIO(b""), "content": b""}):
        with pytest.raises(TypeError) as raised:
            import_responses(facility=facility, round_label="R", **arguments)
        assert str(raised.value) == "Give the file as either source or content."
    assert not facility.rounds.exists()
