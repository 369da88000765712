"""The round dashboard: content, privacy rules, charts and a flat query count."""

import plotly.graph_objects as go
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from readiness import charts
from readiness.models import Item, Round
from readiness.scoring import score_round
from tests.conftest import full_answers, import_rows

ROLES = ["nurse", "physician", "security", "front_desk", "legal", "manager"]


def add_respondents(facility, instrument, label, count, *, start=0, value_for=None):
    rows = []
    for n in range(start, start + count):
        role = ROLES[n % len(ROLES)]
        rows += full_answers(
            instrument, f"r{n}", role, value_for or (lambda item, n=n: 1 + (n + item.pk) % 5)
        )
    return import_rows(facility, label, rows).round


def dashboard(client, user, round_):
    client.force_login(user)
    return client.get(reverse("round-dashboard", args=[round_.facility.slug, round_.pk]))


def test_the_dashboard_shows_scores_gaps_strategies_and_roles(facility, instrument, owner, client):
    # everybody disagrees with every positive statement: every determinant is a gap
    round_ = add_respondents(
        facility, instrument, "R", 18, value_for=lambda item: 5 if item.reverse_scored else 2
    )
    response = dashboard(client, owner, round_)
    assert response.status_code == 200
    html = response.content.decode()
    scores = response.context["scores"]
    assert scores.respondents == 18
    assert "Where to act first" in html
    for determinant in scores.gaps:
        assert determinant.determinant.why_it_matters.replace("'", "&#x27;") in html
    top = scores.recommendations[0]
    assert top.strategy.name in html
    # a band is written out, never shown by colour alone
    assert ">Gap</span>" in html
    # each chart has its data for the page script and a table for screen readers
    assert 'id="determinant-figure" type="application/json"' in html
    assert 'id="role-figure" type="application/json"' in html
    assert "Show the numbers as a table" in html


def test_roles_under_three_are_hidden_and_missing_voices_flagged(
    facility, instrument, owner, client
):
    rows = []
    for n in range(3):
        rows += full_answers(instrument, f"n{n}", "nurse", lambda item: 4)
    rows += full_answers(instrument, "s0", "security", lambda item: 1)
    round_ = import_rows(facility, "R", rows).round
    html = dashboard(client, owner, round_).content.decode()
    assert "Hidden: fewer than 3 people" in html
    assert "Missing voices:" in html
    # Security (1 respondent), Legal and Front desk (none) are named; Nurse (3) is not
    warning = html[html.index("Missing voices:") : html.index("In the study, plans failed")]
    assert "Security" in warning and "Legal, risk or compliance" in warning
    assert "Front desk or registration" in warning
    assert "Nurse" not in warning
    heatmap = charts.role_heatmap(score_round(round_))
    assert heatmap["data"][0]["y"] == ["Nurse (n=3)"]


def test_change_since_the_previous_round_is_shown(facility, instrument, owner, client):
    first = add_respondents(facility, instrument, "2025", 6, value_for=lambda item: 3)
    Round.objects.filter(pk=first.pk).update(opened_on="2025-04-01")
    second = add_respondents(
        facility, instrument, "2026", 6, value_for=lambda item: 2 if item.reverse_scored else 4
    )
    scores = dashboard(client, owner, second).context["scores"]
    assert scores.previous_label == first.label == "2025"
    assert scores.overall_change == pytest.approx(25)
    assert all(d.change == pytest.approx(25) for d in scores.determinants)


def test_an_empty_round_says_so(open_round_, owner, client):
    html = dashboard(client, owner, open_round_).content.decode()
    assert "No one has finished the questionnaire in this round yet" in html


def test_figures_are_valid_plotly(facility, instrument):
    round_ = add_respondents(facility, instrument, "R", 12)
    scores = score_round(round_)
    for figure in (charts.determinant_chart(scores), charts.role_heatmap(scores)):
        go.Figure(figure)  # raises on anything outside the plotly schema
    bars = charts.determinant_chart(scores)["data"][0]
    assert len(bars["x"]) == 10
    assert {50, 75} == {
        shape["x0"] for shape in charts.determinant_chart(scores)["layout"]["shapes"]
    }


def test_query_count_does_not_grow_with_respondents(
    facility, instrument, owner, client, django_assert_num_queries
):
    """Dashboard queries, each fixed whatever the data: session, user, membership with
    facility, round with instrument, live respondent counts; then, to rebuild the results:
    respondent counts, determinant totals, item variances, role cells, the earlier rounds'
    summaries, the facility's action items, the peer benchmarks. (The instrument's
    structure is read once per process, warmed here first.)"""
    round_ = add_respondents(facility, instrument, "R", 10)
    Round.objects.filter(pk=round_.pk).update(opened_on="2026-01-01")
    add_respondents(facility, instrument, "Earlier", 3)
    Round.objects.filter(label="Earlier").update(opened_on="2025-01-01")
    client.force_login(owner)
    url = reverse("round-dashboard", args=[facility.slug, round_.pk])
    score_round(round_)  # reads the instrument's structure into the process cache
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add_respondents(facility, instrument, "R", 60, start=10)
    assert round_.respondents.count() == 70
    with django_assert_num_queries(len(small)):
        assert client.get(url).status_code == 200
    assert len(small) == 12


@pytest.mark.parametrize("respondents", [4, 40])
def test_scoring_a_round_costs_four_queries_whatever_its_size(facility, instrument, respondents):
    """Answers are aggregated inside SQL; Python only sees per-determinant rows. The
    instrument's structure (3 queries) is read once per process."""
    round_ = add_respondents(facility, instrument, "R", respondents)
    with CaptureQueriesContext(connection) as first:
        score_round(round_)
    with CaptureQueriesContext(connection) as queries:
        scores = score_round(round_)
    assert scores.respondents == respondents
    assert (len(first), len(queries)) == (7, 4)


def test_results_are_computed_once_and_rebuilt_when_answers_change(
    facility, instrument, owner, client, django_assert_max_num_queries
):
    round_ = add_respondents(facility, instrument, "R", 6)
    client.force_login(owner)
    url = reverse("round-dashboard", args=[facility.slug, round_.pk])
    client.get(url)
    # warm: session, user, membership, round, live counts; no scoring query
    with django_assert_max_num_queries(5):
        html = client.get(url).content.decode()
    nurse_row = '<tr><th scope="row">Nurse</th><td>{}</td></tr>'
    assert nurse_row.format(1) in html
    add_respondents(facility, instrument, "R", 3, start=6)  # an import bumps the version
    html = client.get(url).content.decode()
    assert nurse_row.format(2) in html  # the cached results were rebuilt


def test_a_respondent_finishing_on_the_web_rebuilds_the_results(open_round_, owner, client):
    from readiness.models import Role
    from readiness.services.responses import save_page, start_respondent

    client.force_login(owner)
    url = reverse("round-dashboard", args=[open_round_.facility.slug, open_round_.pk])
    assert "No one has finished" in client.get(url).content.decode()
    role = Role.objects.get(instrument=open_round_.instrument, code="nurse")
    respondent = start_respondent(round_=open_round_, role=role, nonce="x" * 30).respondent
    items = Item.objects.filter(determinant__domain__instrument=open_round_.instrument)
    save_page(
        respondent=respondent, page=5, answers={i.pk: ("scale", 4) for i in items}, finish=True
    )
    html = client.get(url).content.decode()
    assert "No one has finished" not in html
    assert "Overall readiness" in html


def test_trends_follow_determinants_across_instrument_versions(facility, instrument, owner, client):
    import json

    from readiness.services.instrument import load_instrument
    from tests.conftest import ROOT

    first = add_respondents(facility, instrument, "2025", 6, value_for=lambda item: 3)
    Round.objects.filter(pk=first.pk).update(opened_on="2025-04-01")
    data = json.loads((ROOT / "fixtures" / "instrument.json").read_text())
    data["version"] = "2027.1"
    newer = load_instrument(data=data).instrument
    second = add_respondents(facility, newer, "2026", 6, value_for=lambda item: 4)
    second.refresh_from_db()
    assert second.instrument == newer
    scores = score_round(second, compare_with_previous=True)
    figure = charts.trend_chart(scores)
    go.Figure(figure)
    assert len(figure["data"]) == 10
    assert figure["data"][0]["x"] == ["2025", "2026"]
    assert [s["x0"] for s in figure["layout"]["shapes"]] == [0.5]  # the version change
    html = dashboard(client, owner, second).content.decode()
    assert "Over time" in html and 'id="trend-figure"' in html
    go.Figure(charts.determinant_chart(scores))  # with its interval bars
