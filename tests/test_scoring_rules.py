"""Rules of scoring that a mutation review found no test guarding (issue 15): each test
here fails if its rule is changed the way the surviving mutant changed it."""

import datetime

import pytest

from readiness import disclosure
from readiness.models import Respondent, Round
from readiness.scoring import (
    HIGH_DONT_KNOW_FROM,
    LOW_AGREEMENT_BELOW,
    DeterminantResult,
    RoundSummary,
    StatementResult,
    earlier_rounds,
    score_round,
)
from tests.conftest import import_rows


def partners_round(facility, label, values, opened_on=None):
    """An imported round of nurses rating both PARTNERS statements of the toy instrument."""
    rows = []
    for n, value in enumerate(values):
        rows += [
            (f"{label}{n}", "nurse", "PARTNERS-1", value),
            (f"{label}{n}", "nurse", "PARTNERS-2", value),
        ]
    round_ = import_rows(facility, label, rows).round
    if opened_on:
        Round.objects.filter(pk=round_.pk).update(opened_on=opened_on)
        round_.refresh_from_db()
    return round_


def partners(scores) -> DeterminantResult:
    return next(d for d in scores.determinants if d.code == "PARTNERS")


# --- Which round is "the previous round" ----------------------------------------------------


def test_another_facilitys_round_is_never_this_facilitys_previous_round(
    toy_instrument, facility, other_facility
):
    mine = partners_round(facility, "Mine 2025", [2, 2, 2], opened_on="2025-01-01")
    partners_round(other_facility, "Theirs 2025", [5, 5, 5], opened_on="2025-06-01")
    now = partners_round(facility, "Mine 2026", [4, 4, 4], opened_on="2026-01-01")
    assert list(earlier_rounds(now)) == [mine]
    scores = score_round(now, compare_with_previous=True)
    assert scores.previous_label == "Mine 2025"
    assert partners(scores).change == pytest.approx(50.0)  # 75 now, 25 then


def test_rounds_opened_later_are_not_earlier(toy_instrument, facility):
    first = partners_round(facility, "First", [3, 3, 3], opened_on="2025-01-01")
    middle = partners_round(facility, "Middle", [3, 3, 3], opened_on="2025-06-01")
    partners_round(facility, "Last", [3, 3, 3], opened_on="2026-01-01")
    assert list(earlier_rounds(middle)) == [first]
    assert list(earlier_rounds(first)) == []


def test_earlier_rounds_are_most_recent_first_and_same_day_rounds_in_order_made(
    toy_instrument, facility
):
    oldest = partners_round(facility, "Oldest", [3, 3, 3], opened_on="2024-01-01")
    morning = partners_round(facility, "Morning", [3, 3, 3], opened_on="2025-01-01")
    evening = partners_round(facility, "Evening", [3, 3, 3], opened_on="2025-01-01")
    later = partners_round(facility, "Later", [3, 3, 3], opened_on="2025-02-01")
    # entered last, about a round held long before: its date decides, not when it was made
    backfilled = partners_round(facility, "Backfilled", [3, 3, 3], opened_on="2024-06-01")
    assert morning.pk < evening.pk < backfilled.pk
    assert list(earlier_rounds(later)) == [evening, morning, backfilled, oldest]
    assert list(earlier_rounds(evening)) == [morning, backfilled, oldest]  # made earlier
    assert list(earlier_rounds(morning)) == [backfilled, oldest]
    assert list(earlier_rounds(backfilled)) == [oldest]


def test_the_trend_puts_earlier_rounds_in_the_order_they_were_held(toy_instrument, facility):
    """By the day each opened, then by when it was entered: not by entry order alone."""
    partners_round(facility, "Morning", [3, 3, 3], opened_on="2025-01-01")
    partners_round(facility, "Evening", [4, 4, 4], opened_on="2025-01-01")
    partners_round(facility, "Backfilled", [2, 2, 2], opened_on="2024-06-01")
    now = partners_round(facility, "Now", [5, 5, 5], opened_on="2025-06-01")
    held = ["Backfilled", "Morning", "Evening"]
    published = disclosure.released_scores(now, scope=disclosure.Scope.everything())
    assert [summary.label for summary in published.history] == held
    assert published.previous_label == "Evening"
    operators = score_round(now, compare_with_previous=True)
    assert [summary.label for summary in operators.history] == held


def test_published_changes_carry_the_same_noise_as_the_operators(toy_instrument, facility):
    """A change since the previous round, and how much of it could be chance, from the
    published results (what pages show) as from every finished answer: everyone here is
    published, so the two agree."""
    partners_round(facility, "Before", [1, 2, 3, 4, 5, 3], opened_on="2025-01-01")
    now = partners_round(facility, "Now", [2, 4, 4, 5, 3, 5], opened_on="2026-01-01")
    published = partners(disclosure.released_scores(now, scope=disclosure.Scope.everything()))
    operators = partners(score_round(now, compare_with_previous=True))
    assert operators.change_noise > 0
    assert (published.change, published.change_noise) == pytest.approx(
        (operators.change, operators.change_noise)
    )


# --- What the numbers say -------------------------------------------------------------------


def result(**fields) -> DeterminantResult:
    defaults = {
        "determinant": None,
        "score": 50.0,
        "dont_know_rate": 0.0,
        "agreement_rwg": 1.0,
        "scored_respondents": 10,
    }
    return DeterminantResult(**(defaults | fields))


def test_a_decline_beyond_the_noise_is_a_real_decline():
    assert not result(change=-10.0, change_noise=5.0).change_within_noise
    assert result(change=-4.9, change_noise=5.0).change_within_noise
    assert not result(change=10.0, change_noise=5.0).change_within_noise
    assert not result(change=-5.0, change_noise=5.0).change_within_noise  # at the edge
    assert not result(change=None).change_within_noise  # nothing to compare with
    assert result(change=-30.0, change_noise=None).change_within_noise  # no interval


def test_low_agreement_starts_below_the_threshold():
    assert LOW_AGREEMENT_BELOW == 0.70  # docs/scoring.md
    assert result(agreement_rwg=0.69).low_agreement
    assert not result(agreement_rwg=0.70).low_agreement
    assert not result(agreement_rwg=None).low_agreement


def test_high_dont_know_starts_at_a_quarter():
    assert HIGH_DONT_KNOW_FROM == 0.25  # docs/scoring.md
    assert result(dont_know_rate=0.25).high_dont_know
    assert not result(dont_know_rate=0.249).high_dont_know
    assert not result(dont_know_rate=None).high_dont_know
    statement = StatementResult(item=None, role=None, asked=8, counts={"dont_know": 2})
    assert statement.mostly_unknown  # 2 of 8 is a quarter
    fewer = StatementResult(item=None, role=None, asked=9, counts={"dont_know": 2})
    assert not fewer.mostly_unknown
    assert not StatementResult(item=None, role=None, asked=0, counts={}).mostly_unknown


def test_a_rounds_overall_is_the_mean_of_its_domains_not_its_determinants():
    """Two domains, one with three determinants at 50 and one with a single one at 100:
    each domain weighs the same, so the overall is 75, not 62.5."""
    summary = RoundSummary(
        opened_on=datetime.date(2026, 1, 1),
        determinants={"A1": 50.0, "A2": 50.0, "A3": 50.0, "B1": 100.0},
        domains={"A": 50.0, "B": 100.0},
    )
    assert summary.overall == 75.0
    assert RoundSummary().overall is None


def test_answers_fall_in_the_groups_the_statements_count():
    from readiness.models import Answer
    from readiness.scoring.sums import answer_group

    scale = [answer_group(Answer.Kind.SCALE, value) for value in range(1, 6)]
    assert scale == ["disagree", "disagree", "neutral", "agree", "agree"]
    assert answer_group(Answer.Kind.DONT_KNOW, None) == "dont_know"
    assert answer_group(Answer.Kind.NOT_APPLICABLE, None) == "not_applicable"


def test_people_who_all_gave_the_same_score_leave_no_uncertainty():
    from readiness.scoring.rules import standard_error

    # three people at 50: no spread, so the interval around 50 is 50 itself
    assert standard_error(3, 50.0, 3 * 50.0**2) == 0.0
    assert standard_error(1, 50.0, 50.0**2) is None  # one person: no spread to measure
    # two people at 25 and 75: sd 35.36, se 25
    assert standard_error(2, 50.0, 25.0**2 + 75.0**2) == pytest.approx(25.0)


def test_a_determinant_renamed_in_a_later_version_compares_under_the_new_name(db):
    """A determinant whose meaning carried over under another code (NEW, from OLD) is
    compared with its score and its noise; one that did not carry over is left out, and
    so are domains and the overall, made of other determinants. Both ways round."""
    from readiness.scoring import comparable
    from tests.conftest import one_domain_instrument

    def version(name, determinants):
        return one_domain_instrument(
            name,
            [
                {
                    "code": code,
                    "name": code,
                    "carries_over_from": carried,
                    "items": [{"code": f"{code}-1", "text": "A statement."}],
                }
                for code, carried in determinants
            ],
        )

    older = version("v1", [("OLD", None), ("GONE", None)])
    newer = version("v2", [("NEW", "OLD"), ("FRESH", None)])
    before = RoundSummary(
        instrument_version="v1",
        determinants={"OLD": 40.0, "GONE": 10.0},
        standard_errors={"OLD": 5.0, "GONE": 1.0},
        domains={"D": 25.0},
    )
    assert comparable(before, newer) == RoundSummary(
        instrument_version="v1",
        determinants={"NEW": 40.0},
        standard_errors={"NEW": 5.0},
        domains={},
    )
    after = RoundSummary(
        instrument_version="v2",
        determinants={"NEW": 60.0, "FRESH": 90.0},
        standard_errors={"NEW": 4.0, "FRESH": 2.0},
        domains={"D": 75.0},
    )
    assert comparable(after, older) == RoundSummary(
        instrument_version="v2",
        determinants={"OLD": 60.0},
        standard_errors={"OLD": 4.0},
        domains={},
    )
    assert comparable(after, newer) is after


def test_agreement_counts_statements_that_two_people_rated(toy_instrument, facility):
    from readiness.scoring import rwg_j

    scores = score_round(partners_round(facility, "R", [3, 4]))
    partners = next(d for d in scores.determinants if d.determinant.code == "PARTNERS")
    # each statement rated 3 and 4: a variance of 0.5, twice
    assert partners.agreement_rwg == pytest.approx(rwg_j([0.5, 0.5]))


def test_people_are_counted_by_the_language_they_answered_in_whatever_their_role(
    toy_instrument, facility
):
    from readiness.scoring import aggregate

    rows = [(f"p{n}", "nurse" if n < 2 else "physician", "EVAL-1", "3") for n in range(5)]
    round_ = import_rows(facility, "R", rows).round
    Respondent.objects.filter(round=round_).update(language="es")
    Respondent.objects.filter(import_id="p4").update(language="en")
    assert aggregate(round_, published=False)["languages"] == {"es": 4, "en": 1}
