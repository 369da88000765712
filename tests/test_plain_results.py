"""Results in plain words: one rounding for a number and its band, a sentence for each
score, the "How scores work" page, and a short "Where to act first"."""

import math

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness import scoring
from readiness.models import Band
from readiness.templatetags.results import in_words, score
from tests.conftest import full_answers, import_rows
from tests.pages import list_items, table, tags, text_of

ROLES = ["nurse", "physician", "security", "front_desk", "legal", "manager"]


def dashboard_html(client, user, round_) -> str:
    client.force_login(user)
    url = reverse("round-dashboard", args=[round_.facility.slug, round_.pk])
    return client.get(url).content.decode()


def test_the_band_always_goes_with_the_number_shown():
    for hundredths in range(0, 10001):
        value = hundredths / 100
        shown = int(score(value))
        assert scoring.band_for(value) == scoring.band_for(shown), value
    assert (score(74.5), scoring.band_for(74.5)) == ("75", Band.STRENGTH)
    assert (score(74.49), scoring.band_for(74.49)) == ("74", Band.DEVELOPING)
    assert (score(49.5), scoring.band_for(49.5)) == ("50", Band.DEVELOPING)
    assert (score(49.49), scoring.band_for(49.49)) == ("49", Band.GAP)
    assert score(None) == "–"
    # the floats on either side of each threshold's half, whose decimals are longest
    for threshold in (49.5, 74.5):
        for value in (math.nextafter(threshold, 0), threshold, math.nextafter(threshold, 100)):
            assert scoring.band_for(value) == scoring.band_for(int(score(value))), value


@settings(max_examples=2000, deadline=None)
@given(st.floats(min_value=0, max_value=100))
def test_the_band_of_any_score_is_the_band_of_the_number_shown(value):
    assert scoring.band_for(value) == scoring.band_for(int(score(value)))


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (50, "On average, staff answered “Neither agree nor disagree”."),
        (74.5, "On average, staff answered “Agree”."),
        (62, "On average, staff answered between “Neither agree nor disagree” and “Agree”."),
        (10, "On average, staff answered between “Strongly disagree” and “Disagree”."),
        (100, "On average, staff answered “Strongly agree”."),
        (None, ""),
    ],
)
def test_a_score_is_said_in_the_words_of_the_answers(value, words):
    assert in_words(value) == words


def test_how_scores_work_is_open_to_everyone_and_linked_from_the_results(
    client, facility, instrument, owner
):
    page = client.get(reverse("how-scores-work"))
    assert page.status_code == 200
    html = page.content.decode()
    assert table(html, "answer-scores")["Neither agree nor disagree"] == ["50"]
    for section in ("score", "bands", "agreement", "interval", "act-first", "strategies", "eric"):
        assert text_of(html, section), section
    rows = []
    for n in range(6):
        rows += full_answers(instrument, f"r{n}", ROLES[n], lambda item: 3)
    round_ = import_rows(facility, "R", rows).round
    links = {a.get("href") for a in tags(dashboard_html(client, owner, round_), "a")}
    help_url = reverse("how-scores-work")
    assert {help_url, help_url + "#interval", help_url + "#agreement"} <= links


def test_every_score_on_the_dashboard_comes_with_its_meaning(client, facility, instrument, owner):
    rows = []
    for n in range(6):
        rows += full_answers(
            instrument, f"r{n}", ROLES[n], lambda item: 2 if item.reverse_scored else 4
        )
    round_ = import_rows(facility, "R", rows).round
    html = dashboard_html(client, owner, round_)
    assert text_of(html, "overall-score") == "75 / 100"
    determinants = table(html, "determinant-table")
    column = determinants["Determinant"].index("In words")
    for name, cells in determinants.items():
        if name != "Determinant":
            assert cells[column] == "On average, staff answered “Agree”.", name
    assert "rwg" not in determinants["Determinant"][-1]  # the research term is explained


def all_gaps(facility, instrument, people, *, spread):
    """A round where every determinant is a gap; with spread, people disagree a lot."""
    rows = []
    for n in range(people):
        value = (1 if n % 2 else 4) if spread else 2
        rows += full_answers(
            instrument,
            f"r{n}",
            ROLES[n % 6],
            lambda item, v=value: 6 - v if item.reverse_scored else v,
        )
    return import_rows(facility, "R", rows).round


def test_where_to_act_first_names_three_and_each_strategy_once(client, facility, instrument, owner):
    # every determinant a gap or developing, each with a different score: of 18 people,
    # 2 to 11 (by determinant) strongly disagree and the others neither agree nor disagree
    rows = []
    for n in range(18):

        def value(item, n=n):
            v = 1 if n < 2 + item.determinant_id % 10 else 3
            return str(6 - v if item.reverse_scored else v)

        rows += full_answers(instrument, f"r{n}", ROLES[n % 6], value)
    round_ = import_rows(facility, "R", rows).round
    html = dashboard_html(client, owner, round_)
    scores = scoring.score_round(round_)
    assert len({d.score for d in scores.determinants}) == len(scores.determinants)
    weakest = sorted(scores.determinants, key=lambda d: d.score)[: scoring.FOCUS_SIZE]
    focus = list_items(html, "focus-list")
    assert [card.split(" — ")[0] for card in focus] == [
        f"{n}. {d.determinant.name}" for n, d in enumerate(weakest, start=1)
    ]
    assert len(list_items(html, "later-gaps")) == len(scores.gaps) - scoring.FOCUS_SIZE

    strategies = list_items(html, "focus-strategies")
    expected = []
    for determinant in scores.gaps[: scoring.FOCUS_SIZE]:
        for strategy in determinant.strategies[: scoring.STRATEGIES_PER_FOCUS]:
            if strategy.name not in expected:
                expected.append(strategy.name)
    # in the order of the focus list, and a strategy serving several gaps only once
    assert len(strategies) == len(expected)
    for line, name in zip(strategies, expected, strict=True):
        assert line.startswith(name)
    by_name = {rec.strategy.name: rec for rec in scores.recommendations}
    for line in strategies:
        name = next(n for n in expected if line.startswith(n))
        helps = line.split("Helps with: ")[1]
        assert helps.startswith(", ".join(d.determinant.name for d in by_name[name].determinants))
    shared = [rec for rec in scores.focus_recommendations if len(rec.determinants) > 1]
    assert shared, "the instrument links some strategy to more than one gap"
    assert "focus-uncertain" not in {e.get("id") for e in tags(html, "div")}


def test_too_few_people_for_a_firm_order_are_warned_about(client, facility, instrument, owner):
    round_ = all_gaps(facility, instrument, 4, spread=True)
    html = dashboard_html(client, owner, round_)
    scores = scoring.score_round(round_)
    assert scores.focus_uncertain
    warning = text_of(html, "focus-uncertain")
    assert warning.startswith("These scores are uncertain. With 4 people answering,")
    for determinant in scores.focus_uncertain:
        assert determinant.determinant.name in warning


EDGES = (49.5, math.nextafter(49.5, 0), math.nextafter(49.5, 100), 74.5, 0.0, 100.0)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(EDGES), st.floats(0, 100)), min_size=1, max_size=40))
def test_the_network_summary_counts_in_the_gap_the_sites_whose_score_shows_as_a_gap(values):
    from statistics import median

    from readiness.comparison import Site, SiteFacility, weakest

    sites = [
        Site(SiteFacility(pk, "", "", "", ""), scores={"a": value})
        for pk, value in enumerate(values)
    ]
    [area] = weakest(sites, [("a", "Area")])
    assert area.in_gap == sum(scoring.band_for(v) == Band.GAP for v in values)
    assert (area.sites, area.median) == (len(values), median(values))
