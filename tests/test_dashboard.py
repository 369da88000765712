"""The round dashboard: content, privacy rules, charts and a flat query count."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from readiness import benchmarks, charts, disclosure
from readiness.models import Intervention, Item, Respondent, Round
from readiness.scoring import score_round, shown
from tests.clients import results_json as read_results_json
from tests.conftest import EXAMPLE, ROOT, full_answers, import_rows, read_json
from tests.pages import assert_valid_figure, list_items, table, text_of
from tests.pages import charts as charts_of

ROLES = ["nurse", "physician", "security", "front_desk", "legal", "manager"]


def add_respondents(facility, instrument, label, count, *, start=0, value_for=None):
    rows = []
    for n in range(start, start + count):
        role = ROLES[n % len(ROLES)]
        rows += full_answers(
            instrument, f"r{n}", role, value_for or (lambda item, n=n: 1 + (n + item.pk) % 5)
        )
    return import_rows(facility, label, rows).round


def statement_codes(instrument) -> list[str]:
    """The codes of every statement of the questionnaire."""
    return list(
        Item.objects.filter(determinant__domain__instrument=instrument).values_list(
            "code", flat=True
        )
    )


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
    focus = list_items(html, "focus-list")
    assert len(focus) == 3
    for card, determinant in zip(focus, scores.gaps[:3], strict=True):
        assert determinant.determinant.name in card
        assert determinant.determinant.why_it_matters in card
    later = list_items(html, "later-gaps")
    assert [line.split(" — ")[0] for line in later] == [d.determinant.name for d in scores.gaps[3:]]
    top = scores.recommendations[0]
    assert top.strategy.name in text_of(html, "all-strategies")
    # a band is written out, never shown by colour alone
    assert ">Gap</span>" in html
    # each chart has its data for the page script, a label, and its numbers in a table
    # folded under "Show the numbers as a table" right after it
    found = charts_of(html)
    assert {figure: (chart["table"], chart["folded"]) for figure, chart in found.items()} == {
        "determinant-figure": ("determinant-table", True),
        "role-figure": ("role-table", True),
    }
    for chart in found.values():
        assert chart["data"] and chart["role"] == "img" and chart["label"].endswith("below.")
        assert chart["summary"] == "Show the numbers as a table"


def test_small_roles_are_hidden_with_the_next_smallest_and_missing_voices_flagged(
    facility, instrument, owner, client
):
    rows = []
    for n in range(4):
        rows += full_answers(instrument, f"n{n}", "nurse", lambda item: 4)
    for n in range(3):
        rows += full_answers(instrument, f"f{n}", "front_desk", lambda item: 3)
    rows += full_answers(instrument, "s0", "security", lambda item: 1)
    round_ = import_rows(facility, "R", rows).round
    response = dashboard(client, owner, round_)
    html = response.content.decode()
    coverage = table(html, "coverage-table")
    # the lone guard is hidden, and the front desk's three with them: otherwise the
    # total minus the nurses and the front desk would be the guard's answers
    assert coverage["Nurse"] == ["4"]
    assert coverage["Security"] == ["fewer than 3"]
    assert coverage["Front desk or registration"] == [
        "3 or more (hidden to protect a smaller group)"
    ]
    assert list(table(html, "role-table")) == ["Role", "Nurse (n=4)"]
    warning = text_of(html, "missing-voices")
    assert "Security" in warning and "Legal, risk or compliance" in warning
    assert "Nurse" not in warning and "Front desk" not in warning
    heatmap = charts.role_heatmap(
        disclosure.released_scores(round_, scope=disclosure.Scope.everything())
    )
    assert heatmap["data"][0]["y"] == ["Nurse (n=4)"]


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
    # the trend draws each domain in both rounds: 50 (all "neither"), then 75 ("agree")
    trend = charts.trend_chart(scores)
    assert {trace["name"]: trace["y"] for trace in trend["data"]} == {
        d.name: [50, 75] for d in scores.domains
    }


def test_a_round_under_the_minimum_says_how_many_more_are_needed(
    facility, instrument, owner, client
):
    round_ = add_respondents(facility, instrument, "R", 1)
    html = dashboard(client, owner, round_).content.decode()
    assert text_of(html, "release-status").startswith(
        "To protect everyone's anonymity, results appear once at least 3 people have "
        "finished. 2 more are needed."
    )
    assert 'id="determinant-figure"' not in html


def test_people_still_answering_are_counted_for_their_own_round_only(
    facility, instrument, owner, client
):
    round_ = add_respondents(facility, instrument, "R", 5)
    other = add_respondents(facility, instrument, "S", 4)
    still = round_.respondents.filter(import_id="r0")
    still.update(status=Respondent.Status.IN_PROGRESS, published=False)
    # finished after the last update: waiting to be added, no longer answering
    round_.respondents.filter(import_id="r1").update(published=False)
    other.respondents.filter(import_id__in=["r0", "r1"]).update(
        status=Respondent.Status.IN_PROGRESS, published=False
    )
    html = dashboard(client, owner, round_).content.decode()
    assert text_of(html, "still-answering") == "1 person still answering"
    html = dashboard(client, owner, other).content.decode()
    assert text_of(html, "still-answering") == "2 people still answering"


def test_figures_are_valid_plotly(facility, instrument):
    round_ = add_respondents(facility, instrument, "R", 18)  # three in each role
    scores = score_round(round_)
    heatmap = charts.role_heatmap(scores)
    # on a phone, determinants become the rows (names wrapped), roles the columns
    narrow = heatmap["narrow"]["data"][0]
    assert narrow["y"][0].replace("<br>", " ") == scores.determinants[0].determinant.name
    assert len(narrow["x"]) == len(heatmap["data"][0]["y"]) == 6
    for figure in (charts.determinant_chart(scores), heatmap):
        assert_valid_figure(figure)  # raises on anything outside the plotly schema
    bars = charts.determinant_chart(scores)["data"][0]
    assert len(bars["x"]) == 10
    # every bar's name, score and band are written on the chart, not only on hover
    names = [note["text"] for note in charts.determinant_chart(scores)["layout"]["annotations"]]
    for d in scores.determinants:
        assert any(
            text.replace("<br>", " ").startswith(f"{d.determinant.name}: {shown(d.score)}, ")
            for text in names
        )
    assert {50, 75} == {
        shape["x0"] for shape in charts.determinant_chart(scores)["layout"]["shapes"]
    }


def test_query_count_does_not_grow_with_respondents(
    facility, instrument, owner, client, django_assert_num_queries
):
    """Dashboard queries, each fixed whatever the data: session, user, the second step's
    device (middleware.two_factor_required), membership with facility, round with
    instrument, live respondent counts, the release, who is not a peer (for the cache
    key); then, to rebuild the results: the release, the earlier rounds' releases, the
    facility's action items, who is not a peer. (The instrument's structure and the day's
    peer snapshot are read once per process, warmed first.)"""
    round_ = add_respondents(facility, instrument, "R", 10)
    # a round that prepares for an intervention names it, read with the round
    protocol = Intervention.objects.create(code="protocol", name="Agent protocol", description="-")
    Round.objects.filter(pk=round_.pk).update(opened_on="2026-01-01", intervention=protocol)
    add_respondents(facility, instrument, "Earlier", 3)
    Round.objects.filter(label="Earlier").update(opened_on="2025-01-01")
    client.force_login(owner)
    url = reverse("round-dashboard", args=[facility.slug, round_.pk])
    score_round(round_)  # reads the instrument's structure into the process cache
    benchmarks.snapshot()  # the day's peer snapshot, taken once a day
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
        assert response.status_code == 200
    assert "This round prepares for: <strong>Agent protocol</strong>." in response.content.decode()
    add_respondents(facility, instrument, "R", 60, start=10)
    assert round_.respondents.count() == 70
    with django_assert_num_queries(len(small)):
        assert client.get(url).status_code == 200
    assert len(small) == 12


@pytest.mark.parametrize("respondents", [4, 40])
def test_scoring_a_round_costs_five_queries_whatever_its_size(facility, instrument, respondents):
    """Answers are aggregated inside SQL; Python only sees per-determinant rows:
    respondents per role, determinant totals, item variances, role cells, answers per
    statement and role. The instrument's structure (4 queries) is
    read once per process."""
    round_ = add_respondents(facility, instrument, "R", respondents)
    with CaptureQueriesContext(connection) as first:
        score_round(round_)
    with CaptureQueriesContext(connection) as queries:
        scores = score_round(round_)
    assert scores.respondents == respondents
    # (the import that made the round already read the instrument's structure)
    assert (len(first), len(queries)) == (5, 5)


def test_results_are_computed_once_and_rebuilt_when_they_are_published(
    facility, instrument, owner, client, django_assert_max_num_queries
):
    round_ = add_respondents(facility, instrument, "R", 6)
    client.force_login(owner)
    url = reverse("round-dashboard", args=[facility.slug, round_.pk])
    client.get(url)
    # warm: session, user, the second step's device, membership, round, live counts,
    # release, who is not a peer; no scoring query
    with django_assert_max_num_queries(8):
        html = client.get(url).content.decode()

    def people_with_a_score(html):
        rows = table(html, "determinant-table")
        column = rows["Determinant"].index("People with a score")
        return rows["Legal footing and law enforcement"][column]

    assert people_with_a_score(html) == "6"
    add_respondents(facility, instrument, "R", 3, start=6)  # a new release bumps the version
    html = client.get(url).content.decode()
    assert people_with_a_score(html) == "9"  # the cached results were rebuilt


def test_respondents_finishing_on_the_web_publish_results_in_steps(open_round_, owner, client):
    from readiness.models import Role
    from readiness.services.responses import save_page, start_respondent

    client.force_login(owner)
    url = reverse("round-dashboard", args=[open_round_.facility.slug, open_round_.pk])
    role = Role.objects.get(instrument=open_round_.instrument, code="nurse")
    items = Item.objects.filter(determinant__domain__instrument=open_round_.instrument)
    for n in range(3):
        assert 'id="determinant-figure"' not in client.get(url).content.decode()
        respondent = start_respondent(round_=open_round_, role=role, nonce=f"{n}" * 30).respondent
        save_page(
            respondent=respondent,
            page=5,
            answers={i.pk: ("scale", 2 + n) for i in items},
            finish=True,
        )
    html = client.get(url).content.decode()
    assert 'id="determinant-figure"' in html
    assert text_of(html, "release-status").startswith("Results from 3 people.")


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
    assert_valid_figure(figure)
    # one line per domain, not per determinant; the older version's round has no point
    # on them, since its domains average other determinants
    assert [trace["name"] for trace in figure["data"]] == [d.name for d in scores.domains]
    assert figure["data"][0]["x"] == ["2025", "2026"]
    assert [trace["y"][0] for trace in figure["data"]] == [None] * len(scores.domains)
    assert [s["x0"] for s in figure["layout"]["shapes"]] == [0.5]  # the version change
    html = dashboard(client, owner, second).content.decode()
    assert "Over time" in html and 'id="trend-figure"' in html
    assert_valid_figure(charts.determinant_chart(scores))  # with its interval bars


def test_results_json_query_count_does_not_grow_with_respondents(
    facility, instrument, owner, client, django_assert_num_queries
):
    """results.json: session, user, the second step's device, membership with facility,
    round with instrument, the release, the earlier rounds' releases, who is not a peer,
    live counts, the release's counters, and the read's audit event. (The instrument's
    structure and the day's peer snapshot are read once per process, warmed first.)"""
    round_ = add_respondents(facility, instrument, "R", 6)
    client.force_login(owner)
    url = reverse("round-results-json", args=[facility.slug, round_.pk])
    benchmarks.snapshot()
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).json()["respondents"] == 6
    add_respondents(facility, instrument, "R", 60, start=6)
    with django_assert_num_queries(len(small)):
        assert client.get(url).json()["respondents"] == 66
    assert len(small) == 11


def results_json(client, user, round_) -> dict:
    client.force_login(user)
    return read_results_json(client, round_)


def test_results_json_gives_the_worked_example_in_its_documented_shape(
    toy_instrument, facility, owner, client
):
    """What analysts script against (README, results.json): the worked example's
    figures and the document's fields, as its owner reads them."""
    rows = [
        line.split(",") for line in (EXAMPLE / "responses.csv").read_text().splitlines()[1:] if line
    ]
    round_ = import_rows(facility, "Example", rows).round
    data = results_json(client, owner, round_)
    expected = read_json(EXAMPLE / "expected-scores.json")
    assert (data["respondents"], data["overall"]) == (8, expected["overall"])
    assert set(data) == {
        "facility", "round", "round_status", "minimum_group", "respondents", "updated_on",
        "waiting", "flagged_kept_out", "suppressed", "overall", "domains", "determinants",
        "statements", "roles", "roles_suppressed", "recommendations",
        "recommendations_suppressed", "benchmarks", "benchmarks_suppressed",
    }  # fmt: skip
    assert data["domains"] == [domain | {"suppressed": None} for domain in expected["domains"]]
    for got, want in zip(data["determinants"], expected["determinants"], strict=True):
        assert set(got) == {
            "code", "domain", "score", "band", "respondents", "dont_know_rate",
            "agreement_rwg", "ci_low", "ci_high", "suppressed",
        }  # fmt: skip
        assert (got["code"], got["domain"], got["score"], got["band"]) == (
            want["code"],
            want["domain"],
            want["score"],
            want["band"],
        )
        assert (got["agreement_rwg"], got["suppressed"]) == (want["agreement_rwg"], None)
    # the intervals, to two decimals (tests/test_scoring.py works one out by hand)
    intervals = {d.code: (d.ci_low, d.ci_high) for d in score_round(round_).determinants}
    assert [(d["ci_low"], d["ci_high"]) for d in data["determinants"]] == [
        (round(intervals[d["code"]][0], 2), round(intervals[d["code"]][1], 2))
        for d in data["determinants"]
    ]
    # Counts that would single people out are hidden: "6 of 8 have a score" (partnerships)
    # says two people answered too little; 5 of 8 (evaluation) is three, as many as the
    # smallest group. A don't-know rate is hidden where the physicians' counts per
    # statement, shown by role, are hidden for a group of one or two: the rate would give
    # those answers back.
    assert [(d["respondents"], d["dont_know_rate"]) for d in data["determinants"]] == [
        (8, 0.0333),
        (None, None),
        (5, None),
    ]
    # the physicians' row is shown; the nurses' is hidden with the lone guard's, which
    # subtraction from the total would otherwise reveal. Their evaluation cell is hidden
    # too: with the total it would give away the one nurse scored on evaluation.
    physicians = expected["roles"]["physician"]
    assert data["roles"] == {
        "physician": physicians
        | {"suppressed": None, "determinants": physicians["determinants"] | {"EVAL": None}},
        "nurse": {
            "respondents": None,
            "suppressed": "protects_smaller_group",
            "determinants": None,
        },
        "security": {"respondents": None, "suppressed": "fewer_than_minimum", "determinants": None},
    }
    assert data["recommendations"] == expected["recommendations"]  # priorities to 2 digits
    assert data["statements"][0] == {
        "item": "COMMS-1",
        "determinant": "COMMS",
        "role": "physician",
        "asked": 4,
        "counts": {"agree": 4, "neutral": 0, "disagree": 0, "dont_know": 0, "not_applicable": 0},
    }
    assert {frozenset(statement) for statement in data["statements"]} == {
        frozenset(data["statements"][0])
    }


def test_a_domain_is_marked_hidden_only_when_a_hidden_determinant_leaves_it_no_score(
    toy_instrument, facility, owner, client
):
    def round_of(label, rated_by):
        """Four nurses; ``rated_by``: how many of them rate each statement, the others
        answering "don't know"."""
        rows = [
            (f"{label}{n}", "nurse", code, str(2 + n % 3) if n < count else "DK")
            for n in range(4)
            for code, count in rated_by.items()
        ]
        return import_rows(facility, label, rows).round

    # two people rated the partnerships: hidden, while their domain still has a score
    hidden = results_json(
        client,
        owner,
        round_of("H", {"COMMS-1": 4, "COMMS-2": 4, "PARTNERS-1": 2, "EVAL-1": 4, "EVAL-2": 4}),
    )
    assert [d["suppressed"] for d in hidden["determinants"]] == [None, "fewer_than_minimum", None]
    assert [d["suppressed"] for d in hidden["domains"]] == [None, None]
    assert None not in [d["score"] for d in hidden["domains"]]
    # nobody rated evaluation: its domain has no score, and says why
    unrated = results_json(
        client,
        owner,
        round_of("U", {"COMMS-1": 4, "COMMS-2": 4, "PARTNERS-1": 4, "PARTNERS-2": 4, "EVAL-1": 0}),
    )
    assert [d["suppressed"] for d in unrated["determinants"]] == [None, None, "fewer_than_minimum"]
    assert unrated["domains"][1] == {
        "code": "PROCESS",
        "score": None,
        "band": "insufficient",
        "suppressed": "fewer_than_minimum",
    }
    assert unrated["domains"][0]["suppressed"] is None


@pytest.mark.parametrize("answered_comms_2", [0, 1, 2, 3])
def test_with_every_role_hidden_statements_are_counted_for_everyone(
    toy_instrument, facility, owner, client, answered_comms_2
):
    """Two nurses and two physicians: both roles hidden, so what people answered is shown
    for all four together; a statement one or two answered is left out, and hides its
    determinant's don't-know rate, as one with a group of one hides its counts and the
    rate (the rate would give those answers back). Nobody or three: nothing to hide."""
    codes = statement_codes(toy_instrument)
    rows = [
        (
            f"p{n}",
            "nurse" if n < 2 else "physician",
            code,
            "DK" if (n, code) == (0, "PARTNERS-1") else "4",
        )
        for n in range(4)
        for code in codes
        if code != "COMMS-2" or n < answered_comms_2
    ]
    round_ = import_rows(facility, "R", rows).round
    data = results_json(client, owner, round_)
    assert [data["roles"][role]["suppressed"] for role in ("nurse", "physician")] == [
        "fewer_than_minimum",
        "fewer_than_minimum",
    ]
    # published all at once: the page says no role is big enough, not that the results
    # came in steps
    html = dashboard(client, owner, round_).content.decode()
    assert text_of(html, "no-role-shown").startswith("No role can be shown on its own yet")
    assert text_of(html, "roles-in-steps") == ""
    statements = {s["item"]: s for s in data["statements"]}
    few = 0 < answered_comms_2 < 3
    assert statements.keys() == set(codes) - ({"COMMS-2"} if answered_comms_2 < 3 else set())
    assert {s["role"] for s in statements.values()} == {None}
    assert statements["PARTNERS-1"]["counts"] == dict.fromkeys(
        ["agree", "neutral", "disagree", "dont_know", "not_applicable"]
    )
    assert statements["EVAL-1"] == {
        "item": "EVAL-1",
        "determinant": "EVAL",
        "role": None,
        "asked": 4,
        "counts": {"agree": 4, "neutral": 0, "disagree": 0, "dont_know": 0, "not_applicable": 0},
    }
    # communication: a statement one or two answered; partnerships: the group of one
    rates = {d["code"]: d["dont_know_rate"] for d in data["determinants"]}
    assert rates == {"COMMS": None if few else 0.0, "PARTNERS": None, "EVAL": 0.0}


def questionnaire_2027():
    """The shipped questionnaire that routes statements by role."""
    from readiness.services.instrument import load_instrument

    document = read_json(ROOT / "fixtures" / "instrument-2027.1.json")
    return load_instrument(data=document).instrument


def round_2027(facility, items, *, nurses, physicians, value_for=lambda item: "4"):
    people = [("nurse", n) for n in range(nurses)] + [("physician", n) for n in range(physicians)]
    rows = [
        (f"{role}{n}", role, item.code, value_for(item))
        for role, n in people
        for item in items
        if item.is_asked_of(role)
    ]
    return import_rows(facility, "R", rows).round


@pytest.mark.parametrize(("without_a_score", "shown"), [(0, 6), (1, None), (2, None), (3, 3)])
def test_how_many_have_a_score_is_hidden_when_one_or_two_have_none(
    toy_instrument, facility, owner, client, without_a_score, shown
):
    """Six nurses; some answer "don't know" to both statements on partnerships, and so
    have no score for it. "5 of 6 have a score" would say that one person answered "don't
    know": the number is shown only when nobody, or at least three, have none."""
    codes = statement_codes(toy_instrument)
    rows = [
        (
            f"n{n}",
            "nurse",
            code,
            "DK" if code.startswith("PARTNERS") and n < without_a_score else "4",
        )
        for n in range(6)
        for code in codes
    ]
    data = results_json(client, owner, import_rows(facility, "R", rows).round)
    (partnerships,) = [d for d in data["determinants"] if d["code"] == "PARTNERS"]
    assert (partnerships["score"], partnerships["respondents"]) == (75.0, shown)


def test_a_hidden_determinant_leaves_the_roles_figures_of_the_others(
    toy_instrument, facility, owner, client
):
    """Nobody rated communication, listed first: it is hidden, and the nurses' figures
    for the determinants after it are still shown."""
    codes = statement_codes(toy_instrument)
    rows = [
        (f"n{n}", "nurse", code, "DK" if code.startswith("COMMS") else "4")
        for n in range(4)
        for code in codes
    ]
    data = results_json(client, owner, import_rows(facility, "R", rows).round)
    assert [d["suppressed"] for d in data["determinants"]] == ["fewer_than_minimum", None, None]
    # (one evaluation statement is reverse-scored: "agree" there counts 25)
    assert data["roles"]["nurse"]["determinants"] == {
        "COMMS": None,
        "PARTNERS": 75.0,
        "EVAL": 58.33,
    }


def test_statements_asked_of_some_roles_only_are_never_counted_for_everyone(
    facility, owner, client
):
    """How many were asked them, beside the roles' counts, would tell how many people a
    hidden role has. (Questionnaire 2027.1 routes statements by role.)"""
    items = Item.objects.filter(determinant__domain__instrument=questionnaire_2027())
    data = results_json(client, owner, round_2027(facility, items, nurses=2, physicians=2))
    routed = {item.code for item in items if item.asked_of}
    assert routed
    assert {s["item"] for s in data["statements"]} == {i.code for i in items} - routed


def test_a_shown_role_that_rated_nothing_of_a_determinant_has_no_figure_for_it(
    toy_instrument, facility, owner, client
):
    codes = statement_codes(toy_instrument)
    rows = []
    for n in range(3):
        rows += [(f"doc{n}", "physician", code, str(2 + n)) for code in codes]
        rows += [(f"rn{n}", "nurse", code, str(2 + n)) for code in codes if code[:5] == "COMMS"]
        rows += [(f"guard{n}", "security", code, "DK") for code in codes]
    roles = results_json(client, owner, import_rows(facility, "R", rows).round)["roles"]
    assert roles["physician"]["determinants"] == {"COMMS": 50.0, "PARTNERS": 50.0, "EVAL": 50.0}
    assert roles["nurse"]["determinants"] == {"COMMS": 50.0, "PARTNERS": None, "EVAL": None}
    assert roles["security"] == {
        "respondents": 3,
        "suppressed": None,
        "determinants": {"COMMS": None, "PARTNERS": None, "EVAL": None},
    }


def test_a_determinant_nobody_answered_has_no_score_from_nobody(
    toy_instrument, facility, owner, client
):
    """Four nurses answered the communication statements only: the other two areas have
    no score, rest on nobody, and hide nothing, since there is nothing to hide."""
    rows = [
        (f"rn{n}", "nurse", code, str(2 + n % 3))
        for n in range(4)
        for code in statement_codes(toy_instrument)
        if code.startswith("COMMS")
    ]
    data = results_json(client, owner, import_rows(facility, "R", rows).round)
    assert [
        (d["code"], d["score"] is None, d["respondents"], d["suppressed"])
        for d in data["determinants"]
    ] == [("COMMS", False, 4, None), ("PARTNERS", True, 0, None), ("EVAL", True, 0, None)]


def test_a_dont_know_rate_counts_the_statements_everyone_is_asked_only(facility, owner, client):
    """Physicians alone are asked two of the legal statements, and all answer "don't
    know": counted in the rate, those answers would be the physicians' alone. Everyone
    answers "don't know" to LEGAL-7, one of the three statements everyone is asked: the
    rate is 6 of those 18 answers, none of the others."""
    items = Item.objects.filter(determinant__domain__instrument=questionnaire_2027())
    dont_know = {"LEGAL-10", "LEGAL-11", "LEGAL-7"}
    round_ = round_2027(
        facility,
        items,
        nurses=3,
        physicians=3,
        value_for=lambda item: "DK" if item.code in dont_know else "4",
    )
    legal = next(
        d for d in results_json(client, owner, round_)["determinants"] if d["code"] == "LEGAL"
    )
    assert legal["dont_know_rate"] == round(6 / 18, 4)


def test_names_typed_by_people_are_never_markup_in_a_chart(facility, instrument, owner, client):
    """A facility or round named like a link stays text: plotly reads HTML in labels."""
    label = '<a href="https://example.org">click</a>'
    first = add_respondents(facility, instrument, label, 6, value_for=lambda item: 3)
    Round.objects.filter(pk=first.pk).update(opened_on="2025-04-01")
    second = add_respondents(facility, instrument, "Now", 6, value_for=lambda item: 4)
    scores = score_round(second, compare_with_previous=True)
    trend = charts.trend_chart(scores)
    assert trend["data"][0]["x"][0] == '&lt;a href="https://example.org"&gt;click&lt;/a&gt;'
    site = SimpleNamespace(
        round=object(), scores={"X": 50}, facility=SimpleNamespace(name="<b>Mercy</b> & Co")
    )
    figure = charts.site_heatmap([site], [("X", "<i>x</i>")])
    assert figure["data"][0]["y"] == ["&lt;b&gt;Mercy&lt;/b&gt; &amp; Co"]
    assert figure["narrow"]["data"][0]["x"] == ["&lt;b&gt;Mercy&lt;/b&gt; &amp; Co"]
    assert figure["narrow"]["data"][0]["y"] == ["&lt;i&gt;x&lt;/i&gt;"]
