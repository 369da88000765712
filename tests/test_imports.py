"""CSV import: all or nothing, every rejection names its line."""

import pytest

from readiness.models import Answer, DeterminantScore, Respondent, Round
from readiness.services.imports import ImportRejected, import_responses
from tests.conftest import csv_bytes, import_rows

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
    kinds = set(Answer.objects.values_list("item__code", "kind", "value"))
    assert kinds == {("EVAL-1", "scale", 4), ("EVAL-2", "dk", None), ("EVAL-1", "na", None)}
    assert DeterminantScore.objects.filter(respondent__import_id="p1").exists()


def test_a_byte_order_mark_and_windows_line_endings_are_accepted(toy_instrument, facility):
    content = b"\xef\xbb\xbfrespondent,role,item,value\r\np1,nurse,EVAL-1,4\r\n"
    summary = import_responses(facility=facility, round_label="R", content=content)
    assert summary.answers == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"   \n", "The file is empty."),
        (
            "respondent,role,item,value\np1,nurse,EVAL-1,4\np1,nurse,EVAL-2,\xe9".encode("latin-1"),
            "not UTF-8",
        ),
        (b"respondent,role,value\np1,nurse,4\n", "Line 1: missing column(s): item"),
        (b"respondent,role,item,value,comment\np1,nurse,EVAL-1,4,x\n", "unexpected column"),
        (b"respondent,role,item,value\n", "no answers"),
        (csv_bytes(GOOD + [("p2", "surgeon", "EVAL-1", 4)]), "Line 4: unknown role 'surgeon'"),
        (csv_bytes(GOOD + [("p2", "nurse", "EVAL-9", 4)]), "Line 4: unknown item 'EVAL-9'"),
        (csv_bytes(GOOD + [("p2", "nurse", "EVAL-1", 6)]), "Line 4: value '6' is not 1-5"),
        (csv_bytes(GOOD + [("p2", "nurse", "EVAL-1", 0)]), "Line 4: value '0' is not 1-5"),
        (csv_bytes(GOOD + [("p2", "nurse", "EVAL-1", "3.5")]), "value '3.5'"),
        (csv_bytes(GOOD + [("p2", "nurse", "EVAL-1", "")]), "value '' is not"),
        (csv_bytes(GOOD + [("", "nurse", "EVAL-1", 3)]), "Line 4: the respondent id is empty"),
        (
            csv_bytes(GOOD + [("p1", "nurse", "EVAL-1", 2)]),
            "Line 4: respondent 'p1' answers EVAL-1 twice (also on line 2)",
        ),
        (
            csv_bytes(GOOD + [("p1", "security", "EVAL-3", 2)]),
            "respondent 'p1' has role 'nurse' on line 2 and 'security' here",
        ),
        (csv_bytes(GOOD) + b"p3,nurse,EVAL-1\n", "Line 4: expected 4 values, found 3"),
        (csv_bytes(GOOD + [("x" * 65, "nurse", "EVAL-1", 3)]), "longer than 64"),
    ],
)
def test_a_bad_file_is_rejected_whole_with_its_line(toy_instrument, facility, content, message):
    with pytest.raises(ImportRejected) as rejected:
        import_responses(facility=facility, round_label="R", content=content)
    assert message in str(rejected.value)
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
    rows = [("p1", "nurse", "EVAL-1", 9), ("p2", "nobody", "EVAL-1", 3)]
    with pytest.raises(ImportRejected) as rejected:
        import_rows(facility, "R", rows)
    assert [e.split(":")[0] for e in rejected.value.errors] == ["Line 2", "Line 3"]


def test_an_existing_respondent_id_is_refused_without_replace(toy_instrument, facility):
    import_rows(facility, "R", GOOD)
    with pytest.raises(ImportRejected, match="already has respondent.*p1.*--replace"):
        import_rows(facility, "R", [("p1", "nurse", "EVAL-1", 1), ("p9", "nurse", "EVAL-1", 1)])
    assert Respondent.objects.count() == 1
    assert Answer.objects.get(item__code="EVAL-1").value == 4


def test_replace_swaps_the_respondents_answers(toy_instrument, facility):
    import_rows(facility, "R", GOOD)
    summary = import_rows(facility, "R", [("p1", "security", "EVAL-1", 1)], replace=True)
    assert summary.replaced == 1
    respondent = Respondent.objects.get()
    assert respondent.role.code == "security"
    assert list(respondent.answers.values_list("item__code", "value")) == [("EVAL-1", 1)]


def test_a_failure_while_writing_leaves_nothing_behind(toy_instrument, facility, monkeypatch):
    from readiness.services import imports

    def explode(ids):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "respondent_scores", explode)
    with pytest.raises(RuntimeError):
        import_rows(facility, "R", GOOD)
    assert stored_nothing()


def test_the_round_label_is_validated(toy_instrument, facility):
    with pytest.raises(ImportRejected, match="1 to 80"):
        import_rows(facility, "   ", GOOD)
    with pytest.raises(ImportRejected, match="1 to 80"):
        import_rows(facility, "x" * 81, GOOD)
    assert stored_nothing()
