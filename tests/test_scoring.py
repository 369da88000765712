"""The scoring rules, on hand-computed cases and on the shared worked example."""

import pytest

from readiness.models import Band
from readiness.scoring import answer_score, band_for, rwg_j, score_round
from tests.conftest import EXAMPLE, import_rows, read_json


class TestAnswerScore:
    @pytest.mark.parametrize(
        ("value", "forward", "reverse"),
        [(1, 0, 100), (2, 25, 75), (3, 50, 50), (4, 75, 25), (5, 100, 0)],
    )
    def test_maps_1_to_5_onto_0_to_100_and_reverses(self, value, forward, reverse):
        assert answer_score(value, reverse_scored=False) == forward
        assert answer_score(value, reverse_scored=True) == reverse


class TestBands:
    @pytest.mark.parametrize(
        ("score", "band"),
        [
            (100, Band.STRENGTH),
            (75, Band.STRENGTH),
            # bands go with the whole number shown, halves rounded up
            (74.5, Band.STRENGTH),
            (74.49, Band.DEVELOPING),
            (50, Band.DEVELOPING),
            (49.5, Band.DEVELOPING),
            (49.49, Band.GAP),
            (0, Band.GAP),
            (None, Band.INSUFFICIENT),
        ],
    )
    def test_thresholds(self, score, band):
        assert band_for(score) == band


class TestRwg:
    def test_no_items_with_two_ratings_means_no_value(self):
        assert rwg_j([]) is None

    def test_perfect_agreement_is_one(self):
        assert rwg_j([0.0, 0.0, 0.0]) == 1.0

    def test_hand_computed(self):
        # J=2, mean variance 0.5: r = 0.25, rwg = 2*0.75 / (2*0.75 + 0.25) = 1.5/1.75
        assert rwg_j([0.25, 0.75]) == pytest.approx(1.5 / 1.75)

    def test_variance_at_or_beyond_the_uniform_null_is_zero(self):
        assert rwg_j([2.0]) == 0.0
        assert rwg_j([4.0, 3.0]) == 0.0


def test_worked_example_matches_expected_scores(toy_instrument, facility):
    """shared/examples/scoring: every field of `manage.py scores` for eight respondents."""
    rows = [
        line.split(",") for line in (EXAMPLE / "responses.csv").read_text().splitlines()[1:] if line
    ]
    import_rows(facility, "Example", rows)
    expected = read_json(EXAMPLE / "expected-scores.json")
    from readiness.models import Round

    scores = score_round(Round.objects.get(label="Example"))
    actual = scores.to_json()
    # the lone guard's row carries no figure, so that no reader can show one by mistake
    (guard,) = [row for row in scores.roles if row.role.code == "security"]
    assert (guard.hidden, guard.cells) == ("fewer_than_minimum", {})

    # to the digit: scores and priorities to two decimals, rates to four, as documented
    assert actual["respondents"] == expected["respondents"]
    assert actual["overall"] == expected["overall"]
    assert actual["domains"] == expected["domains"]
    assert [
        {key: value for key, value in got.items() if key not in ("ci_low", "ci_high")}
        for got in actual["determinants"]
    ] == expected["determinants"]
    assert actual["roles"] == expected["roles"]
    assert actual["recommendations"] == expected["recommendations"]


class TestHandComputedCases:
    """Small rounds on the toy instrument, each isolating one rule."""

    def scores(self, facility, rows):
        summary = import_rows(facility, "R", rows)
        return score_round(summary.round)

    def determinant(self, scores, code):
        return next(d for d in scores.determinants if d.code == code)

    def test_weights_and_reverse_items(self, toy_instrument, facility):
        # COMMS-1=5 (100), COMMS-2 reverse 2 (75), COMMS-3 weight 2 =3 (50), COMMS-4=1 (0)
        # (100 + 75 + 2*50 + 0) / 5 = 55
        rows = [
            ("a", "nurse", "COMMS-1", 5),
            ("a", "nurse", "COMMS-2", 2),
            ("a", "nurse", "COMMS-3", 3),
            ("a", "nurse", "COMMS-4", 1),
        ]
        assert self.determinant(self.scores(facility, rows), "COMMS").score == 55

    def test_dont_know_and_not_applicable_carry_no_score_but_count_as_answers(
        self, toy_instrument, facility
    ):
        # EVAL-1=4 (75), EVAL-2 DK, EVAL-3 NA: 1 rated of 3 -> below half: no score.
        # Second respondent: EVAL-1=2 (25), EVAL-2 reverse 1 (100), EVAL-3 DK -> 62.5
        rows = [
            ("a", "nurse", "EVAL-1", 4),
            ("a", "nurse", "EVAL-2", "DK"),
            ("a", "nurse", "EVAL-3", "NA"),
            ("b", "nurse", "EVAL-1", 2),
            ("b", "nurse", "EVAL-2", 1),
            ("b", "nurse", "EVAL-3", "DK"),
        ]
        evaluation = self.determinant(self.scores(facility, rows), "EVAL")
        assert evaluation.score == 62.5
        assert evaluation.scored_respondents == 1
        assert evaluation.dont_know_rate == pytest.approx(2 / 6)

    def test_exactly_half_the_items_is_enough(self, toy_instrument, facility):
        # COMMS has 4 items; two rated (one of weight 2): (50 + 2*100) / 3
        rows = [("a", "nurse", "COMMS-1", 3), ("a", "nurse", "COMMS-3", 5)]
        assert self.determinant(self.scores(facility, rows), "COMMS").score == pytest.approx(
            250 / 3
        )

    def test_no_scored_respondent_means_insufficient_data(self, toy_instrument, facility):
        rows = [
            ("a", "nurse", "PARTNERS-1", "DK"),
            ("a", "nurse", "PARTNERS-2", 4),
            ("a", "nurse", "COMMS-1", 4),
            ("a", "nurse", "COMMS-3", 4),
        ]
        scores = self.scores(facility, rows)
        partners = self.determinant(scores, "PARTNERS")
        assert partners.score == 75  # 1 of 2 rated: exactly half
        evaluation = self.determinant(scores, "EVAL")
        assert evaluation.score is None
        assert evaluation.band == Band.INSUFFICIENT
        assert evaluation.dont_know_rate is None
        assert evaluation.agreement_rwg is None
        # the domain with no scored determinant has no score and does not drag the overall
        process = next(d for d in scores.domains if d.code == "PROCESS")
        assert process.score is None
        assert scores.overall == scores.domains[0].score

    def test_a_role_below_three_respondents_is_suppressed_but_pooled(
        self, toy_instrument, facility
    ):
        rows = []
        for rid, role, value in [
            ("a", "nurse", 5),
            ("b", "nurse", 5),
            ("c", "nurse", 5),
            ("d", "security", 1),
            ("e", "security", 1),
        ]:
            rows += [(rid, role, "PARTNERS-1", value), (rid, role, "PARTNERS-2", value)]
        scores = self.scores(facility, rows)
        roles = {r.role.code: r for r in scores.roles}
        assert not roles["nurse"].suppressed
        assert roles["nurse"].cells["PARTNERS"] == 100
        assert roles["security"].suppressed
        assert "security" not in {r.role.code: r for r in scores.roles if not r.suppressed}
        # pooled in the total: (3*100 + 2*0) / 5
        assert self.determinant(scores, "PARTNERS").score == 60
        assert scores.to_json()["roles"]["security"] == {"respondents": 2, "suppressed": True}

    def test_a_cell_with_fewer_than_three_scores_is_hidden(self, toy_instrument, facility):
        rows = []
        for rid in "abc":
            rows += [(rid, "nurse", "PARTNERS-1", 4), (rid, "nurse", "PARTNERS-2", 4)]
        rows += [("a", "nurse", "EVAL-1", 4), ("a", "nurse", "EVAL-2", 2)]
        scores = self.scores(facility, rows)
        nurse = scores.roles[0]
        assert nurse.cells["PARTNERS"] == 75
        assert nurse.cells["EVAL"] is None
        assert scores.to_json()["roles"]["nurse"]["determinants"]["EVAL"] is None

    def test_recommendation_priority_sums_over_gap_and_developing_determinants(
        self, toy_instrument, facility
    ):
        rows = []
        for rid in "abc":
            rows += [
                (rid, "nurse", "COMMS-1", 3),
                (rid, "nurse", "COMMS-3", 3),  # 50
                (rid, "nurse", "EVAL-1", 2),
                (rid, "nurse", "EVAL-3", 2),  # 25
                (rid, "nurse", "PARTNERS-1", 5),
                (rid, "nurse", "PARTNERS-2", 5),
            ]  # 100
        recommendations = self.scores(facility, rows).to_json()["recommendations"]
        assert recommendations == [
            {"strategy": "WORKGROUP", "determinants": ["COMMS", "EVAL"], "priority": 75.0},
            {"strategy": "QI-CYCLES", "determinants": ["EVAL"], "priority": 50.0},
        ]

    def test_an_area_lists_its_strategies_most_recommended_first(self, toy_instrument, facility):
        """EVAL is linked to WORKGROUP, then QI-CYCLES. With communication strong, both
        rest on EVAL alone and tie, and the tie goes by code: QI-CYCLES comes first in
        the recommendations and in EVAL's own list; COALITION, not recommended, last."""
        rows = []
        for person in ("a", "b", "c"):
            rows += [(person, "nurse", f"COMMS-{n}", 1 if n == 2 else 5) for n in range(1, 5)]
            rows += [(person, "nurse", f"EVAL-{n}", 5 if n == 2 else 1) for n in range(1, 4)]
            rows += [(person, "nurse", f"PARTNERS-{n}", 5) for n in (1, 2)]
        scores = self.scores(facility, rows)
        assert [rec.strategy.code for rec in scores.recommendations] == ["QI-CYCLES", "WORKGROUP"]
        assert [s.code for s in self.determinant(scores, "EVAL").strategies] == [
            "QI-CYCLES",
            "WORKGROUP",
        ]
        assert [s.code for s in self.determinant(scores, "PARTNERS").strategies] == ["COALITION"]

    def test_a_role_nobody_answered_as_has_no_row(self, toy_instrument, facility):
        rows = [(person, "nurse", "PARTNERS-1", 4) for person in ("a", "b", "c")]
        scores = self.scores(facility, rows)
        assert scores.to_json()["roles"] == {
            "nurse": {"respondents": 3, "suppressed": False, "determinants": {
                "COMMS": None, "PARTNERS": 75.0, "EVAL": None
            }}
        }  # fmt: skip
        assert [(c.role.code, c.respondents) for c in scores.coverage] == [
            ("nurse", 3),
            ("security", 0),
            ("physician", 0),
        ]

    def test_what_does_not_apply_is_counted_where_the_questionnaire_offers_it(
        self, toy_instrument, facility
    ):
        rows = [(person, "nurse", "PARTNERS-1", 4) for person in ("a", "b", "c")]
        rows += [("d", "nurse", "PARTNERS-1", "NA")]
        partners = self.determinant(self.scores(facility, rows), "PARTNERS")
        (statement,) = [s for s in partners.statements if s.role is None]
        # agree, neutral, disagree, don't know, does not apply
        assert statement.columns == [3, 0, 0, 0, 1]

    def test_unfinished_respondents_do_not_count(self, toy_instrument, facility):
        from readiness.models import Respondent

        rows = [
            ("a", "nurse", "PARTNERS-1", 5),
            ("a", "nurse", "PARTNERS-2", 5),
            ("b", "nurse", "PARTNERS-1", 1),
            ("b", "nurse", "PARTNERS-2", 1),
        ]
        summary = import_rows(facility, "R", rows)
        Respondent.objects.filter(import_id="b").update(status=Respondent.Status.IN_PROGRESS)
        scores = score_round(summary.round)
        assert scores.respondents == 1
        assert self.determinant(scores, "PARTNERS").score == 100


class TestRoundSummaries:
    """Earlier rounds' facility-level scores, several rounds in one query: the trend and
    the change since the last round on an owner's own figures."""

    def test_only_finished_respondents_count(self, toy_instrument, facility):
        from readiness.models import Respondent
        from readiness.scoring import round_summaries

        rows = [
            ("a", "nurse", "PARTNERS-1", 5),
            ("a", "nurse", "PARTNERS-2", 5),
            ("b", "nurse", "PARTNERS-1", 1),
            ("b", "nurse", "PARTNERS-2", 1),
        ]
        round_ = import_rows(facility, "R", rows).round
        Respondent.objects.filter(import_id="b").update(status=Respondent.Status.IN_PROGRESS)
        summary = round_summaries([round_.pk])[round_.pk]
        assert (summary.round_id, summary.label) == (round_.pk, "R")
        assert summary.determinants == {"PARTNERS": 100.0}

    def test_an_area_nobody_has_a_score_for_leaves_the_others(self, toy_instrument, facility):
        """Everyone answered "don't know" to COMMS, which comes first: PARTNERS and its
        domain are still summarised."""
        from readiness.scoring import round_summaries

        rows = []
        for person in ("a", "b", "c"):
            rows += [(person, "nurse", f"COMMS-{n}", "DK") for n in range(1, 5)]
            rows += [(person, "nurse", f"PARTNERS-{n}", 4) for n in (1, 2)]
        round_ = import_rows(facility, "R", rows).round
        summary = round_summaries([round_.pk])[round_.pk]
        assert summary.determinants == {"PARTNERS": 75.0}
        assert summary.domains == {"INNER": 75.0}

    def test_rounds_opened_the_same_day_are_in_the_order_they_were_entered(
        self, toy_instrument, facility
    ):
        from readiness.models import Round
        from readiness.scoring import in_time_order, round_summaries

        rows = [(person, "nurse", "PARTNERS-1", 3) for person in ("a", "b", "c")]
        first = import_rows(facility, "First", rows).round
        second = import_rows(facility, "Second", rows).round
        Round.objects.filter(pk=first.pk).update(opened_on=second.opened_on)
        summaries = in_time_order(round_summaries([second.pk, first.pk]))
        assert [summary.label for summary in summaries] == ["First", "Second"]


class TestIntervals:
    """95% intervals by the normal approximation (docs/scoring.md)."""

    def round_with(self, facility, label, values):
        rows = []
        for n, value in enumerate(values):
            rows += [
                (f"{label}{n}", "nurse", "PARTNERS-1", value),
                (f"{label}{n}", "nurse", "PARTNERS-2", value),
            ]
        return import_rows(facility, label, rows).round

    def partners(self, scores):
        return next(d for d in scores.determinants if d.code == "PARTNERS")

    def test_hand_computed_interval(self, toy_instrument, facility):
        # respondent scores 25, 50, 75: mean 50, sd 25, se 25/sqrt(3) = 14.434;
        # 50 -/+ 1.96 * 14.434 = 21.71 .. 78.29
        scores = score_round(self.round_with(facility, "R", [2, 3, 4]))
        determinant = self.partners(scores)
        assert determinant.standard_error == pytest.approx(25 / 3**0.5)
        assert (determinant.ci_low, determinant.ci_high) == (
            pytest.approx(21.71, abs=0.01),
            pytest.approx(78.29, abs=0.01),
        )
        as_json = next(d for d in scores.to_json()["determinants"] if d["code"] == "PARTNERS")
        assert (as_json["ci_low"], as_json["ci_high"]) == (21.71, 78.29)
        # scores 25, 75, 75: 58.33 -/+ 1.96 * 16.67 = 25.667.. .. 90.999.., to two decimals
        uneven = score_round(self.round_with(facility, "S", [2, 4, 4])).to_json()
        as_json = next(d for d in uneven["determinants"] if d["code"] == "PARTNERS")
        assert (as_json["ci_low"], as_json["ci_high"]) == (25.67, 91.0)

    def test_one_respondent_has_no_interval_and_bounds_stay_on_the_scale(
        self, toy_instrument, facility
    ):
        assert self.partners(score_round(self.round_with(facility, "A", [5]))).ci_low is None
        wide = self.partners(score_round(self.round_with(facility, "B", [1, 5])))
        assert (wide.ci_low, wide.ci_high) == (0.0, 100.0)

    def test_a_change_smaller_than_the_noise_is_labelled_so(self, toy_instrument, facility):
        from readiness.models import Round

        first = self.round_with(facility, "2025", [2, 3, 4])  # 50, se 14.43
        Round.objects.filter(pk=first.pk).update(opened_on="2025-01-01")
        second = self.round_with(facility, "2026", [2, 4, 4])  # 25, 75, 75: 58.33, se 16.67
        determinant = self.partners(score_round(second, compare_with_previous=True))
        assert determinant.change == pytest.approx(8.33, abs=0.01)
        # noise: 1.96 * sqrt(14.43^2 + 16.67^2) = 43.21
        assert determinant.change_noise == pytest.approx(43.21, abs=0.01)
        assert determinant.change_within_noise
        third = self.round_with(facility, "2027", [5, 5, 5])  # 100, se 0: noise 32.67
        Round.objects.filter(pk=third.pk).update(opened_on="2027-01-01")
        third.refresh_from_db()
        clear = self.partners(score_round(third, compare_with_previous=True))
        assert clear.change == pytest.approx(41.67, abs=0.01)
        assert not clear.change_within_noise
