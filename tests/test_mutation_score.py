"""tests/mutation_score.py, which decides whether CI's mutation sample passes."""

import io

import pytest

from tests import mutation_score

ACCEPTED = "readiness.permissions.x_facility_access__mutmut_56"


def score(monkeypatch, capsys, results: str, *args: str) -> tuple[int, list[str]]:
    monkeypatch.setattr("sys.stdin", io.StringIO(results))
    code = mutation_score.main(["mutation_score.py", *args])
    return code, capsys.readouterr().out.splitlines()


@pytest.fixture(autouse=True)
def accepted(monkeypatch):
    monkeypatch.setattr(mutation_score, "ACCEPTED", {ACCEPTED})


def test_the_score_counts_caught_and_accepted_and_names_each_survivor(monkeypatch, capsys):
    results = (
        "    readiness.benchmarks.x_summarise__mutmut_1: killed\n"
        "    readiness.benchmarks.x_summarise__mutmut_2: timeout\n"
        "    readiness.benchmarks.x_summarise__mutmut_3: survived\n"
        f"    {ACCEPTED}: survived\n"
        "    readiness.scoring.rules.x_band__mutmut_1: survived\n"
    )
    code, lines = score(monkeypatch, capsys, results, "60", "readiness.benchmarks*", ACCEPTED)
    assert code == 0
    assert lines == [
        "4 mutants: 2 caught, 1 accepted as equivalent, 1 survived; score 75.0% (at least 60.0%)",
        "  survived: readiness.benchmarks.x_summarise__mutmut_3 (survived)",
    ]
    code, _ = score(monkeypatch, capsys, results, "75.1", "readiness.benchmarks*", ACCEPTED)
    assert code == 1


def test_an_accepted_mutant_that_is_caught_counts_once_and_is_named(monkeypatch, capsys):
    results = f"    {ACCEPTED}: killed\n    readiness.benchmarks.x_summarise__mutmut_3: survived\n"
    code, lines = score(monkeypatch, capsys, results, "50")
    assert code == 0
    assert lines == [
        "2 mutants: 1 caught, 0 accepted as equivalent, 1 survived; score 50.0% (at least 50.0%)",
        "  survived: readiness.benchmarks.x_summarise__mutmut_3 (survived)",
        f"  accepted as equivalent, yet caught (check its number): {ACCEPTED}",
    ]


def test_a_pattern_matching_nothing_or_a_mutant_not_checked_fails(monkeypatch, capsys):
    results = "    readiness.benchmarks.x_summarise__mutmut_1: killed\n"
    code, lines = score(monkeypatch, capsys, results, "0", "readiness.renamed*")
    assert (code, lines) == (
        1,
        ["Patterns matching no mutant: ['readiness.renamed*']; mutants not checked: []"],
    )
    results += "    readiness.benchmarks.x_summarise__mutmut_2: not checked\n"
    code, lines = score(monkeypatch, capsys, results, "0")
    assert code == 1
    assert lines == [
        "Patterns matching no mutant: []; mutants not checked: "
        "['readiness.benchmarks.x_summarise__mutmut_2']"
    ]
