"""Anonymity against someone who tries (docs/privacy.md, readiness/disclosure/).

Each attack is scripted as an attacker would run it: respondents answer through the
round's link, and the attacker reads what their persona can open (dashboards, results.json,
the partner portfolio, the network comparison and its downloads). The property under test
is "nobody learns anything about fewer than the minimum number of people", so besides
the known attacks the tests check the invariants that make any subtraction or
before/after comparison land on at least the minimum.
"""

import csv
import io
import itertools
import json
import re
import sys
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse

from readiness import disclosure
from readiness.disclosure import Hidden, groups_to_hide, restrict
from readiness.models import Facility, Item, Network, NetworkLeader, Round
from readiness.scoring import DEVELOPING_FROM, STRENGTH_FROM, score_round
from readiness.scoring import shown as shown_score
from readiness.services.facilities import close_round, results_changed
from readiness.services.imports import ImportRejected
from tests.clients import login, results_json
from tests.conftest import (
    full_answers,
    import_rows,
    load_shipped_instrument,
    make_mercy_clinic,
    make_partner,
    make_user,
)
from tests.pages import table, tags, text_of
from tests.respondents import respond
from tests.test_permissions import all_url_names

MINIMUM = 3


# --- How the attacker works ------------------------------------------------------------


def figures(data: dict) -> dict:
    """Every number of a results.json that depends on answers (not the counters)."""
    return {
        "overall": data["overall"],
        "domains": [d["score"] for d in data["domains"]],
        "determinants": [
            [d["score"], d["ci_low"], d["ci_high"], d["dont_know_rate"], d["agreement_rwg"]]
            for d in data["determinants"]
        ],
        "roles": data["roles"],
        "respondents": data["respondents"],
    }


def hidden_part(data: dict) -> int:
    """What an attacker subtracting every shown role from the total is left with."""
    shown = sum(role["respondents"] or 0 for role in (data["roles"] or {}).values())
    return data["respondents"] - shown


def make_world(facility, owner) -> dict:
    """A facility in a network, read by a viewer, a partner that sees results by role,
    and the network's leader: every kind of reader of results."""
    viewer = make_user("viewer")
    facility.memberships.create(user=viewer, level="viewer")
    partner, partner_user = make_partner(facility, by=owner)
    network = Network.objects.create(name="Network", slug="network")
    Facility.objects.filter(pk=facility.pk).update(network=network)
    leader = make_user("leader")
    NetworkLeader.objects.create(user=leader, network=network)
    facility.refresh_from_db()
    return {
        "facility": facility,
        "readers": {"owner": owner, "viewer": viewer, "partner": partner_user, "leader": leader},
        "partner": partner,
        "network": network,
    }


@pytest.fixture
def world(facility, owner, instrument):
    return make_world(facility, owner)


def open_round(world, label="Spring"):
    from readiness.services.facilities import open_round as open_

    return open_(facility=world["facility"], label=label)


# --- Rule 1: the minimum group ------------------------------------------------------


def test_one_respondent_shows_nothing_on_any_page(world):
    """The review's case: one security guard finished and the overall was their answers."""
    round_ = open_round(world)
    respond(round_, "security", "1")
    for name, user in world["readers"].items():
        client = login(user)
        data = results_json(client, round_)
        assert data["respondents"] == 0, name  # not even published
        assert data["suppressed"] == Hidden.FEWER_THAN_MINIMUM
        assert data["overall"] is None
        assert all(d["score"] is None for d in data["determinants"])
        assert all(d["score"] is None for d in data["domains"])
        html = client.get(round_.get_absolute_url()).content.decode()
        assert 'id="determinant-figure"' not in html  # no chart data at all
    owner_view = json.loads(_command_output(round_))
    assert owner_view["overall"] is None
    # The operator's tool still has the full figures, exactly as before.
    unsuppressed = json.loads(_command_output(round_, "--unsuppressed"))
    assert unsuppressed["respondents"] == 1 and unsuppressed["overall"] is not None
    portfolio = login(world["readers"]["partner"]).get(
        reverse("partner-portfolio", args=["advocates"])
    )
    assert not tags(portfolio.content.decode(), "table", id="portfolio-table")
    comparison = login(world["readers"]["leader"]).get(
        reverse("network-comparison", args=["network"])
    )
    assert [site.round for site in comparison.context["sites"]] == [None]


def _command_output(round_, *flags) -> str:
    out = io.StringIO()
    call_command(
        "scores", "--facility", round_.facility.slug, "--round", round_.label, *flags, stdout=out
    )
    return out.getvalue()


def test_a_determinant_too_few_people_rated_is_hidden_and_left_out_of_its_domain(world, instrument):
    rows = []
    for n in range(4):
        # two people answer "don't know" to everything about the policy climate
        rows += full_answers(
            instrument,
            f"p{n}",
            "nurse",
            lambda item, n=n: "DK" if n < 2 and item.determinant.code == "POLICY" else str(n + 2),
        )
    round_ = import_rows(world["facility"], "R", rows).round
    data = results_json(login(world["readers"]["viewer"]), round_)
    hidden = next(d for d in data["determinants"] if d["code"] == "POLICY")
    assert hidden["score"] is None and hidden["suppressed"] == Hidden.FEWER_THAN_MINIMUM
    assert hidden["respondents"] is None
    # the domain's score is the mean of its shown determinants only, so that the hidden
    # one cannot be worked out from the domain and its other determinants
    domain = next(d for d in data["domains"] if d["code"] == hidden["domain"])
    siblings = [
        d["score"]
        for d in data["determinants"]
        if d["domain"] == hidden["domain"] and d["score"] is not None
    ]
    assert len(siblings) == 1 and domain["score"] == siblings[0]


# --- Rule 2: no subtraction ---------------------------------------------------------


def test_subtracting_the_shown_roles_from_the_total_recovers_nobody(world):
    """The review's attack: overall x n minus each shown role x its n gave back the one
    security guard's answers, to two decimals through `scores`. Here in a round that
    shows its results when it closes, all at once and so by role."""
    from readiness.services.facilities import open_round as open_

    round_ = open_(facility=world["facility"], label="At close", publish_at_close=True)
    for _ in range(5):
        respond(round_, "nurse", "4")
    respond(round_, "security", "1")
    assert results_json(login(world["readers"]["owner"]), round_)["respondents"] == 0
    close_round(round_=round_)
    for name, user in world["readers"].items():
        data = results_json(login(user), round_)
        assert data["respondents"] == 6, name
        assert data["overall"] is not None  # six people: the totals are shown
        # the nurses would be a shown group of 5 beside a hidden group of 1: hidden too
        assert data["roles"]["nurse"] == {
            "respondents": None,
            "suppressed": Hidden.PROTECTS_SMALLER_GROUP,
            "determinants": None,
        }
        assert data["roles"]["security"]["respondents"] is None
        assert data["roles"]["security"]["suppressed"] == Hidden.FEWER_THAN_MINIMUM
        assert hidden_part(data) >= MINIMUM
    # the same on the page: no role row, and no exact count for a hidden role
    html = login(world["readers"]["viewer"]).get(round_.get_absolute_url()).content.decode()
    coverage = table(html, "coverage-table")
    assert coverage["Nurse"] == ["3 or more (hidden to protect a smaller group)"]
    assert coverage["Security"] == ["fewer than 3"]
    assert 'id="role-figure"' not in html
    # `scores` prints what an owner sees; only the operator's flag gives the full figures
    owner_view = json.loads(_command_output(round_))
    assert owner_view["roles"]["nurse"]["determinants"] is None
    unsuppressed = json.loads(_command_output(round_, "--unsuppressed"))
    assert unsuppressed["roles"]["nurse"]["suppressed"] is False


def test_results_published_in_steps_are_never_shown_by_role(world):
    """The reviewer's attack on live results: between two versions a role gained one
    person (nurses 3 -> 4), and 4 x after - 3 x before gave that nurse's scores; a role
    hidden in one version could also be subtracted from another version's total.
    Results published in steps show no role's results at all."""
    round_ = open_round(world)
    for _ in range(3):
        respond(round_, "nurse", "4")
    for _ in range(3):
        respond(round_, "physician", "2")
    client = login(world["readers"]["viewer"])
    data = results_json(client, round_)
    assert data["respondents"] == 6  # a second version
    assert data["roles"]["nurse"] == {
        "respondents": 3,
        "suppressed": Hidden.IN_STEPS,
        "determinants": None,
    }
    html = client.get(round_.get_absolute_url()).content.decode()
    assert 'id="role-figure"' not in html and 'id="role-table"' not in html
    assert "published in steps" in text_of(html, "roles-in-steps")


def test_a_roles_count_hidden_in_one_step_stays_hidden_in_the_next(world):
    """Two nurses and a physician: both counts hidden. Then a nurse and two physicians
    join: 3 and 3 would each be enough, but shown now they would say how the first three
    split (two nurses, one physician). Counts hidden once stay hidden."""
    round_ = open_round(world)
    for role in ("nurse", "nurse", "physician"):
        respond(round_, role, "4")
    client = login(world["readers"]["viewer"])
    first = results_json(client, round_)
    assert first["respondents"] == 3
    assert [first["roles"][role]["respondents"] for role in ("nurse", "physician")] == [None] * 2
    for role in ("nurse", "physician", "physician"):
        respond(round_, role, "2")
    second = results_json(client, round_)
    assert second["respondents"] == 6
    assert disclosure.release_for(round_).aggregates["roles"] == {"nurse": 3, "physician": 3}
    assert [second["roles"][role] for role in ("nurse", "physician")] == [
        {"respondents": None, "suppressed": Hidden.PROTECTS_SMALLER_GROUP, "determinants": None}
    ] * 2


def test_a_step_never_moves_a_shown_determinant_by_one_or_two_people(world, instrument):
    """The reviewer's attack: of three people joining, two answered "don't know" to one
    determinant, so its 'people with a score' went 6 -> 7 and 7 x after - 6 x before gave
    the third person's score. Such a step waits until the determinant moves by 0 or 3+."""
    facility = world["facility"]
    scored = full_answers(instrument, "a", "nurse", lambda item: "4")
    round_ = import_rows(
        facility,
        "R",
        [
            row
            for n in range(6)
            for row in full_answers(instrument, f"p{n}", "nurse", lambda i: "4")
        ],
    ).round
    client = login(world["readers"]["viewer"])
    before = figures(results_json(client, round_))

    def joiner(name, dk_on_legal):
        return full_answers(
            instrument,
            name,
            "nurse",
            lambda item: "DK" if dk_on_legal and item.determinant.code == "LEGAL" else "5",
        )

    import_rows(facility, "R", joiner("j1", True) + joiner("j2", True) + joiner("j3", False))
    assert figures(results_json(client, round_)) == before  # held: LEGAL would move by 1
    assert results_json(client, round_)["waiting"] == 3
    import_rows(facility, "R", joiner("j4", False) + joiner("j5", False))
    after = results_json(client, round_)
    assert after["respondents"] == 11  # LEGAL moves by 3 (j3, j4, j5): a step
    # (9 of the 11 have a LEGAL score; the page hides that count, 2 have none)
    assert disclosure.release_for(round_).aggregates["determinants"]["LEGAL"]["scored"] == 9
    assert scored  # (the helper answers every statement)


def test_a_step_never_moves_a_determinants_dont_know_rate_by_one_person(world, instrument):
    """Of three imported people joining, one answered "don't know" to every LEGAL
    statement and two skipped LEGAL: nobody joining has a LEGAL score, yet LEGAL's
    don't-know rate would move by that one person's answers. The step waits."""
    facility = world["facility"]
    everyone = [
        row
        for n in range(6)
        for row in full_answers(instrument, f"p{n}", "nurse", lambda item: "4")
    ]
    round_ = import_rows(facility, "R", everyone).round
    client = login(world["readers"]["viewer"])
    before = figures(results_json(client, round_))

    def legal(item):
        return item.determinant.code == "LEGAL"

    only_dont_know = full_answers(
        instrument, "j1", "nurse", lambda item: "DK" if legal(item) else "5"
    )
    skipping = [
        row
        for name in ("j2", "j3")
        for row in full_answers(instrument, name, "nurse", lambda item: "5")
        if row[2] not in {item.code for item in Item.objects.filter(determinant__code="LEGAL")}
    ]
    import_rows(facility, "R", only_dont_know + skipping)
    held = results_json(client, round_)
    assert figures(held) == before
    assert held["waiting"] == 3


@pytest.mark.parametrize(
    ("sizes", "shown"),
    [
        # security and legal together are 3 people: enough, the others stay
        (
            {"nurse": 4, "physician": 3, "security": 2, "legal": 1, "front_desk": 5},
            {"nurse", "physician", "front_desk"},
        ),
        # legal alone is 1 person: the smallest shown group, physicians, is hidden too
        ({"nurse": 4, "physician": 3, "legal": 1}, {"nurse"}),
    ],
)
def test_shown_roles_always_leave_nobody_or_enough_people_hidden(world, instrument, sizes, shown):
    rows = []
    for role, size in sizes.items():
        for n in range(size):
            rows += full_answers(
                instrument, f"{role}{n}", role, lambda item, n=n: str(1 + (n + item.pk) % 5)
            )
    round_ = import_rows(world["facility"], "R", rows).round
    data = results_json(login(world["readers"]["partner"]), round_)
    assert {code for code, role in data["roles"].items() if role["respondents"]} == shown
    assert hidden_part(data) >= MINIMUM


def _counts_only(roles: dict, *, hidden_roles=()) -> dict:
    """restrict() of results published in steps with these respondents per role."""
    aggregates = {"respondents": sum(roles.values()), "roles": roles, "determinants": {}}
    return restrict(
        aggregates,
        minimum=MINIMUM,
        role_codes=["nurse", "physician", "security", "legal"],
        by_role=False,
        hidden_roles=hidden_roles,
    )


def test_counts_of_results_published_in_steps_leave_nobody_or_enough_hidden():
    """The reviewer's subtraction on counts alone: 8 people, 4 nurses and 3 physicians
    shown, so the hidden security role held exactly 1 person. Every combination of
    small teams leaves nobody or at least the minimum behind the hidden counts."""
    shown = _counts_only({"nurse": 4, "physician": 3, "security": 1})
    assert shown["roles"] == {"nurse": 4, "physician": None, "security": None, "legal": None}
    assert shown["role_hidden"]["physician"] == Hidden.PROTECTS_SMALLER_GROUP
    for sizes in itertools.product(range(6), repeat=4):
        roles = dict(zip(["nurse", "physician", "security", "legal"], sizes, strict=True))
        if sum(sizes) < MINIMUM:
            continue
        visible = _counts_only(roles)["roles"]
        left = sum(sizes) - sum(n for n in visible.values() if n is not None)
        assert left == 0 or left >= MINIMUM, roles


def test_a_count_hidden_once_stays_hidden_in_later_versions():
    """Version 1 hid physicians to protect one security guard; version 2 has more
    physicians than nurses. Showing physicians now and hiding nurses instead would let
    nurses (version 1) minus the hidden part (version 2) give the guard's count."""
    first = _counts_only({"nurse": 4, "physician": 3, "security": 1})
    hidden = [code for code, n in first["roles"].items() if n is None and code != "legal"]
    assert hidden == ["physician", "security"]
    later = _counts_only({"nurse": 4, "physician": 6, "security": 1}, hidden_roles=hidden)
    assert later["roles"] == {"nurse": 4, "physician": None, "security": None, "legal": None}


def test_cells_of_a_column_are_hidden_until_enough_people_are_left_out():
    aggregates = {
        "respondents": 8,
        "roles": {"nurse": 4, "physician": 4},
        "determinants": {
            "LEGAL": {
                "domain": "D",
                "scored": 6,
                "mean": 50.0,
                "squares": 0,
                "answers": 8,
                "dont_know": 2,
                "rwg": 0.8,
            },
            "COMMS": {
                "domain": "D",
                "scored": 8,
                "mean": 60.0,
                "squares": 0,
                "answers": 8,
                "dont_know": 0,
                "rwg": 0.8,
            },
        },
        "cells": {
            "nurse": {"LEGAL": [40.0, 4], "COMMS": [55.0, 4]},
            "physician": {"LEGAL": [70.0, 2], "COMMS": [65.0, 4]},
        },
        "items": {},
        "item_cells": {},
    }
    shown = restrict(aggregates, minimum=3, role_codes=["nurse", "physician", "legal"])
    # two physicians' legal scores alone would be 8 - 4 = hidden by subtraction: the
    # nurses' legal cell goes too; the communication column has nothing hidden
    assert "LEGAL" not in shown["cells"]["nurse"] and "LEGAL" not in shown["cells"]["physician"]
    assert shown["cells"]["nurse"]["COMMS"] == [55.0, 4]
    assert shown["roles"] == {"nurse": 4, "physician": 4, "legal": None}


@pytest.mark.parametrize(
    ("counts", "hidden"),
    [
        ({"a": 5, "b": 1}, {"a", "b"}),
        ({"a": 5, "b": 4, "c": 1}, {"b", "c"}),
        ({"a": 5, "b": 1, "c": 2}, {"b", "c"}),
        ({"a": 3, "b": 3}, set()),
        ({"a": 2}, {"a"}),
        ({"a": 0, "b": 4}, {"a"}),
    ],
)
def test_groups_to_hide(counts, hidden):
    assert set(groups_to_hide(counts, 3)) == hidden


def test_groups_hidden_before_stay_hidden_and_count_what_they_hold():
    hidden = groups_to_hide({"a": 5, "b": 4, "c": 6}, 3, already=["b"])
    assert hidden == {"b": "protects_smaller_group"}  # b holds 4: nothing else to hide
    # a group hidden before that holds nobody now protects nobody
    assert groups_to_hide({"a": 5, "b": 6}, 3, already=["gone"]) == {
        "gone": "protects_smaller_group"
    }
    # the smallest shown group joins a hidden pool of one or two
    assert set(groups_to_hide({"a": 5, "b": 4, "c": 9}, 3, already=[])) == set()
    assert groups_to_hide({"a": 5, "b": 4, "c": 2}, 3)["b"] == "protects_smaller_group"


# --- Rule 3: no differencing over time --------------------------------------------------


def test_one_more_respondent_never_changes_what_anyone_sees(world):
    """Before/after: the results move only when 3 more people have finished."""
    round_ = open_round(world)
    for _ in range(3):
        respond(round_, "nurse", "4")
    clients = {name: login(user) for name, user in world["readers"].items()}
    before = {name: figures(results_json(c, round_)) for name, c in clients.items()}
    portfolio_before = _portfolio_numbers(clients["partner"])
    comparison_before = _comparison_csv(clients["leader"])
    for value in ("1", "2"):  # two more people, one at a time
        respond(round_, "security", value)
        for name, client in clients.items():
            data = results_json(client, round_)
            assert figures(data) == before[name], name
        assert _portfolio_numbers(clients["partner"]) == portfolio_before
        assert _comparison_csv(clients["leader"]) == comparison_before
    status = results_json(clients["owner"], round_)
    assert status["waiting"] == 2 and status["respondents"] == 3
    respond(round_, "security", "1")  # the third: now the results may change
    after = results_json(clients["viewer"], round_)
    assert after["respondents"] == 6 and figures(after) != before["viewer"]


def test_closing_a_round_does_not_publish_a_lone_latecomer(world):
    round_ = open_round(world)
    for _ in range(3):
        respond(round_, "nurse", "4")
    before = figures(results_json(login(world["readers"]["viewer"]), round_))
    respond(round_, "security", "1")
    close_round(round_=round_)
    after = results_json(login(world["readers"]["viewer"]), round_)
    assert figures(after) == before
    assert after["waiting"] == 1
    html = login(world["readers"]["viewer"]).get(round_.get_absolute_url()).content.decode()
    assert "1 finished after the last update" in text_of(html, "release-status")


def test_imports_count_like_respondents_and_never_take_out_one_person(world, instrument):
    facility = world["facility"]
    answers = {n: full_answers(instrument, f"p{n}", "nurse", lambda item: "4") for n in range(7)}
    round_ = import_rows(facility, "Paper", answers[0] + answers[1] + answers[2]).round
    client = login(world["readers"]["viewer"])
    before = figures(results_json(client, round_))
    import_rows(facility, "Paper", answers[3])
    assert figures(results_json(client, round_)) == before
    # replacing one published person's answers would show the change in their answers
    changed = full_answers(instrument, "p0", "nurse", lambda item: "1")
    with pytest.raises(ImportRejected) as rejected:
        import_rows(facility, "Paper", changed, replace=True)
    assert rejected.value.errors == [
        "Respondent(s) p0 are already in the round's published results, so their answers "
        "cannot be replaced: anyone comparing the results before and after would see the "
        "change. Import the corrections into a new round."
    ]
    assert figures(results_json(client, round_)) == before
    import_rows(facility, "Paper", answers[4] + answers[5])
    assert results_json(client, round_)["respondents"] == 6


# --- The owners' stricter minimum ---------------------------------------------------


def test_owners_may_raise_the_minimum_never_lower_it(world, instrument):
    facility, owner = world["facility"], world["readers"]["owner"]
    rows = []
    for n in range(4):
        rows += full_answers(instrument, f"n{n}", "nurse", lambda item: "4")
    for n in range(4):
        rows += full_answers(instrument, f"p{n}", "physician", lambda item: "2")
    round_ = import_rows(facility, "R", rows).round
    client = login(owner)
    url = reverse("facility-min-group", args=[facility.slug])
    assert results_json(client, round_)["roles"]["nurse"]["respondents"] == 4
    response = client.post(url, {"min_group": 2})
    assert response.status_code == 400
    facility.refresh_from_db()
    assert disclosure.min_group(facility) == MINIMUM
    assert client.post(url, {"min_group": 5}).status_code == 302
    assert client.post(url, {"min_group": 4}).status_code == 400  # raised, never lowered
    facility.refresh_from_db()
    assert disclosure.min_group(facility) == 5
    data = results_json(client, round_)
    assert data["minimum_group"] == 5
    assert data["roles"]["nurse"]["respondents"] is None
    assert data["overall"] is not None  # 8 people
    # raised above everyone published: nothing left to show, and the pages still open
    assert client.post(url, {"min_group": 9}).status_code == 302
    data = results_json(client, round_)
    assert (data["suppressed"], data["overall"]) == (Hidden.FEWER_THAN_MINIMUM, None)
    assert {(d["score"], d["suppressed"]) for d in data["determinants"]} == {
        (None, Hidden.FEWER_THAN_MINIMUM)
    }
    page = client.get(round_.get_absolute_url())
    assert page.status_code == 200
    assert 'id="determinant-figure"' not in page.content.decode()
    audit = client.get(reverse("facility-audit", args=[facility.slug]))
    assert "min_group_changed" in [event.action for event in audit.context["events"]]


def test_the_owners_minimum_holds_when_the_site_lowers_its_own(world, settings):
    """Owners chose 5 while the site's setting was 5; the operator later lowers the
    site's to 3. The facility's results stay at 5."""
    facility, owner = world["facility"], world["readers"]["owner"]
    settings.DISCLOSURE_MIN_GROUP = 5
    url = reverse("facility-min-group", args=[facility.slug])
    assert login(owner).post(url, {"min_group": 5}).status_code == 302
    settings.DISCLOSURE_MIN_GROUP = 3
    facility.refresh_from_db()
    assert disclosure.min_group(facility) == 5


# --- Every view that shows results goes through readiness.disclosure ------------------------

# URL names whose responses carry numbers computed from answers. A new URL must be
# placed in one of the two sets, so nobody adds a page of results without this test.
RESULTS_VIEWS = {
    "round-dashboard",
    "round-results-json",
    "partner-portfolio",
    "network-comparison",
    "network-quality",
    "network-comparison-csv",
    "network-comparison-xlsx",
    "download-file",  # answer-level downloads, prepared in the background
    "facility-plan",
    "facility-scores-csv",
    "facility-scores-xlsx",
}


def test_every_url_is_classified_as_showing_results_or_not():
    from tests.test_permissions import EXPECTED

    assert RESULTS_VIEWS <= set(all_url_names())
    assert set(all_url_names()) == set(EXPECTED)  # and the matrix knows every URL


def test_every_number_on_a_dashboard_is_one_disclosure_released(world, instrument):
    """Chart data, tables and JSON: each number is among those readiness.disclosure released,
    with a hidden role and a latecomer in the data that must not show."""
    rows = []
    for n in range(5):
        rows += full_answers(
            instrument, f"n{n}", "nurse", lambda item, n=n: str(1 + (n + item.pk) % 5)
        )
    for n in range(3):
        rows += full_answers(instrument, f"f{n}", "front_desk", lambda item: "5")
    rows += full_answers(instrument, "s0", "security", lambda item: "1")
    round_ = import_rows(world["facility"], "R", rows).round
    respond(round_, "legal", "3")  # a latecomer: finished, not published
    Round.objects.filter(pk=round_.pk).update(status="closed")
    released = disclosure.released_scores(round_, scope=disclosure.Scope.everything())
    allowed = _released_numbers(released)
    for name, user in world["readers"].items():
        client = login(user)
        html = client.get(round_.get_absolute_url()).content.decode()
        for figure_id in ("determinant-figure", "role-figure"):
            for number in _figure_numbers(html, figure_id):
                assert number in allowed, (name, figure_id, number)
        data = results_json(client, round_)
        for number in _json_numbers(figures(data)):
            assert round(number, 2) in allowed, (name, number)
    # the latecomer is not published; the lone security guard's role is hidden, and so
    # are the front desk's three, who would otherwise leave one person to subtract
    assert released.respondents == 9
    assert [role.role.code for role in released.roles if not role.suppressed] == ["nurse"]


# Where pages print scores as whole numbers: a score cell of the comparison table, and
# the before, after and change of each area a plan step targets.
WHOLE_NUMBER_SCORES = {
    # the overall, domain cards, and the focus cards' scores
    "round-dashboard": (
        r'(?:id="overall-score">|<p class="fs-3 mb-1">|<span class="fw-normal">— )(\d+)'
    ),
    "facility-scores-csv": r",(\d+),[^,]*,(?:strength|developing|gap),",
    "download-file:round-report-pdf": r"(\d+) / 100",
    "network-comparison": r"<td>(\d+)(?:<br>|</td>)",
    "facility-plan": r"(?<![\d.])[+-]?(\d+)(?= →| \(|\))",
}


def _secret_numbers(rounds, *, digits=1) -> set:
    """Figures of the operator's full results of these rounds (scoring.score_round: every
    finished respondent, role cells from 3) that no released figure of them rounds to,
    to ``digits`` decimals. Whole numbers are only the pages' scores (the facility's
    overall, domains and determinants), so that the many other released figures do not
    cover every whole number between 0 and 100."""
    values, allowed = [], {DEVELOPING_FROM, STRENGTH_FROM}  # the thresholds charts draw
    for round_ in rounds:
        full = score_round(round_)
        values += [full.overall] + [d.score for d in full.domains]
        values += [d.score for d in full.determinants]
        released = disclosure.released_scores(round_, scope=disclosure.Scope.everything())
        if digits:
            for role in full.roles:
                if not role.suppressed:
                    values += list(role.cells.values())
            allowed |= _released_numbers(released)
        else:
            scores = [released.overall] + [d.score for d in released.domains]
            scores += [d.score for d in released.determinants]
            allowed |= {shown_score(v) for v in scores if v is not None}
    rounded = (lambda v: round(v, digits)) if digits else shown_score  # as pages round
    return {rounded(v) for v in values if v is not None and v >= 1} - allowed


def _released_numbers(scores) -> set:
    numbers = {scores.respondents, 0, 100}
    values = [scores.overall] + [d.score for d in scores.domains]
    for d in scores.determinants:
        values += [d.score, d.ci_low, d.ci_high, d.dont_know_rate, d.agreement_rwg]
        numbers.add(d.scored_respondents)
        if d.ci_high is not None:
            values += [d.ci_high - d.score, d.score - d.ci_low]
            # the chart's interval bars, from the shown score to the shown range's ends
            numbers.update(
                {
                    shown_score(d.ci_high) - shown_score(d.score),
                    shown_score(d.score) - shown_score(d.ci_low),
                }
            )
    for role in scores.roles:
        if not role.suppressed:
            numbers.add(role.respondents)
            values += list(role.cells.values())
    for value in values:
        if value is not None:
            numbers.update(
                {
                    round(value, 2),
                    round(value, 1),
                    round(value, 4),
                    round(value),
                    shown_score(value),
                }
            )
    return numbers


def _figure_numbers(html: str, figure_id: str) -> list[float]:
    marker = f'<script id="{figure_id}" type="application/json">'
    if marker not in html:
        return []
    start = html.index(marker) + len(marker)
    figure = json.loads(html[start : html.index("</script>", start)])
    numbers = []
    for trace in figure["data"]:
        for key in ("x", "z"):
            numbers += _json_numbers(trace.get(key))
        numbers += _json_numbers((trace.get("error_x") or {}).get("array"))
        numbers += _json_numbers((trace.get("error_x") or {}).get("arrayminus"))
    return numbers


def _json_numbers(value) -> list[float]:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, int | float):
        return [value]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _json_numbers(v)]
    return [n for v in value for n in _json_numbers(v)]


# --- Page helpers -----------------------------------------------------------------------


def _portfolio_numbers(client) -> dict:
    """The portfolio's table as its reader sees it."""
    response = client.get(reverse("partner-portfolio", args=["advocates"]))
    return table(response.content.decode(), "portfolio-table")


def _comparison_csv(client) -> list:
    response = client.get(reverse("network-comparison-csv", args=["network"]))
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture(scope="class")
def walk(class_db):
    """Two rounds with a hidden role and a latecomer each, an action item with a baseline:
    every results view has something it must not show. Built once for the walk's tests
    (each reads it, and leaves it as it was)."""
    with class_db():
        return _build_walk()


@pytest.fixture
def walked(walk, db):
    return walk


def _build_walk() -> dict:
    from readiness.models import ActionItem

    instrument = load_shipped_instrument()
    owner = make_user("owner")
    world = make_world(make_mercy_clinic(owner), owner)
    Facility.objects.filter(pk=world["facility"].pk).update(network_answer_access=True)
    rounds = []
    for label, opened_on, level in (("Before", "2025-04-01", 0), ("After", "2026-04-01", 1)):
        rows = []
        for n in range(5):
            rows += full_answers(
                instrument,
                f"n{n}",
                "nurse",
                # 1-4, so that each item's mean differs from the 50 of a uniform spread
                lambda item, n=n, level=level: str(1 + (n + level + item.pk) % 4),
            )
        rows += full_answers(instrument, "s0", "security", lambda item: "1")
        round_ = import_rows(world["facility"], label, rows).round
        respond_closed = Round.objects.filter(pk=round_.pk)
        respond(round_, "legal", "5")  # a latecomer: finished, not published
        respond_closed.update(status="closed", opened_on=opened_on)
        results_changed(facility_id=round_.facility_id)  # as closing a round does
        rounds.append(round_)
    ActionItem.objects.create(
        facility=world["facility"], title="Step", targets=["LEGAL"], baseline_round=rounds[0]
    )
    return world | {"rounds": rounds}


# Who reads each results view in the walk, and how to reach it.
WALK = {
    "round-dashboard": ("viewer", lambda w: w["rounds"][1].get_absolute_url()),
    "round-results-json": (
        "partner",
        lambda w: reverse("round-results-json", args=["mercy", w["rounds"][1].pk]),
    ),
    "partner-portfolio": ("partner", lambda w: reverse("partner-portfolio", args=["advocates"])),
    "network-comparison": ("leader", lambda w: reverse("network-comparison", args=["network"])),
    "network-quality": ("leader", lambda w: reverse("network-quality", args=["network"])),
    "network-comparison-csv": (
        "leader",
        lambda w: reverse("network-comparison-csv", args=["network"]),
    ),
    "network-comparison-xlsx": (
        "leader",
        lambda w: reverse("network-comparison-xlsx", args=["network"]),
    ),
    **{
        f"download-file:{kind}-{fmt}": (
            persona,
            lambda w, kind=kind, fmt=fmt: _prepared(w, kind, fmt),
        )
        for kind, persona, formats in (
            ("network", "leader", ("csv", "zip", "xlsx")),
            ("report", "leader", ("pdf",)),
            ("facility", "owner", ("csv", "zip", "xlsx", "json")),
        )
        for fmt in formats
    },
    "facility-plan": ("viewer", lambda w: reverse("facility-plan", args=["mercy"])),
    "facility-scores-csv": ("viewer", lambda w: reverse("facility-scores-csv", args=["mercy"])),
    "facility-scores-xlsx": ("partner", lambda w: reverse("facility-scores-xlsx", args=["mercy"])),
    # a round's report, as the partner's view of it shows the round
    "download-file:round-report-pdf": ("partner", lambda w: _prepared(w, "round", "pdf")),
}


def _prepared(w, kind: str, fmt: str) -> str:
    """The file link of an answer-level download of the walk's facility (or its network),
    prepared as the worker prepares it."""
    from readiness.models import Network, PreparedDownload
    from readiness.services.downloads import prepare, request_download

    facility = w["facility"]
    if kind == "round":
        scope = {"user": w["readers"]["partner"], "facility": facility, "round_": w["rounds"][1]}
    elif kind == "facility":
        scope = {"user": w["readers"]["owner"], "facility": facility}
    else:
        scope = {"user": w["readers"]["leader"], "network": Network.objects.get(slug="network")}
    Kind = PreparedDownload.Kind
    download = request_download(
        kind={
            "report": Kind.NETWORK_REPORT,
            "network": Kind.NETWORK_ANSWERS,
            "round": Kind.ROUND_REPORT,
        }.get(kind, Kind.FACILITY_ANSWERS),
        fmt=fmt,
        facilities=[facility],
        **scope,
    )
    prepare(download.pk)
    return reverse("download-file", args=[download.pk])


class TestEveryResultsView:
    """The walk: every results view, read by whoever may read it, in one world built for
    the class (`walk`)."""

    def test_the_walk_covers_every_results_view(self):
        assert {name.split(":")[0] for name in WALK} == RESULTS_VIEWS

    @pytest.mark.parametrize("name", sorted(WALK))
    def test_every_results_view_goes_through_disclosure(self, walked, name):
        """Each view asks readiness.disclosure what it may show (a spy on the functions every rule
        passes through), and none shows the latecomers or the lone security guard."""
        from unittest import mock

        persona, url = WALK[name]
        client = login(walked["readers"][persona])
        functions = (
            "restrict",
            "summarise_release",
            "summarise",
            "smallest_group",
            "groups_to_hide",
            "answer_level_role",
            "instrument_quality",
        )
        # wherever the app holds each one: its own module, the package, and every module
        # that imported it by name
        spies = [
            mock.patch.object(module, function, wraps=getattr(disclosure, function))
            for function in functions
            for module in list(sys.modules.values())
            if getattr(module, "__name__", "").startswith("readiness")
            and getattr(module, function, None) is getattr(disclosure, function)
        ]
        mocks = [spy.start() for spy in spies]
        try:
            response = client.get(url(walked))
            body = b"".join(response.streaming_content) if response.streaming else response.content
        finally:
            for spy in spies:
                spy.stop()
        assert response.status_code == 200, name
        assert any(m.called for m in mocks), f"{name} showed results without readiness.disclosure"
        if name.endswith("pdf"):  # a report's text, as a reader gets it
            from pypdf import PdfReader

            body = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
            body = body.encode()
        if name.endswith("zip"):  # the answers, beside their data dictionary
            body = zipfile.ZipFile(io.BytesIO(body)).read("answers.csv")
        if not name.endswith("xlsx"):
            # no figure that only the operator's full results hold (the latecomers counted,
            # the nurses' cells) appears anywhere in the response, to one decimal
            secrets = _secret_numbers(walked["rounds"])
            assert secrets
            shown = {round(float(n), 1) for n in re.findall(r"(?<![\d.])\d+\.\d+", body.decode())}
            assert not shown & secrets, (name, sorted(shown & secrets))
        if name in WHOLE_NUMBER_SCORES:
            # pages that print scores as whole numbers: each of those is a released one
            secrets = _secret_numbers(walked["rounds"], digits=0)
            assert secrets
            shown = {int(n) for n in re.findall(WHOLE_NUMBER_SCORES[name], body.decode())}
            assert shown, name
            assert not shown & secrets, (name, sorted(shown & secrets))
        if name.startswith("download-file") and not name.endswith(("xlsx", "pdf")):
            # answer-level rows: only the 6 published people of each round, the lone guard
            # merged into "small roles" (with the nurses, who would otherwise expose them)
            if name.endswith("json"):
                people = [p for p in json.loads(body)["respondents"]]
                roles = {p["role"] for p in people}
            else:
                rows = list(csv.DictReader(io.StringIO(body.decode())))
                people = {(row["round"], row["respondent"]) for row in rows}
                roles = {row["role"] for row in rows}
            assert len(people) == 12
            assert roles == {disclosure.SMALL_ROLES}
        if name == "network-comparison-csv":
            latest = walked["rounds"][1]
            summary = disclosure.released_summaries([latest.pk])[latest.pk]
            allowed = {shown_score(v) for v in summary.determinants.values()}
            allowed.add(shown_score(summary.overall))
            header, row = list(csv.reader(io.StringIO(body.decode())))
            assert row[3] == latest.label
            assert {int(cell) for cell in row[7:] if cell} <= allowed


def test_toggling_the_quality_exclusion_never_isolates_a_latecomer(world, instrument):
    """The reviewer's attack: with 3 flagged responses published and one colleague
    waiting, excluding (3 leave) then including (3 + the colleague join) made the newest
    results minus the first exactly the colleague. Published results only grow now."""
    facility = world["facility"]
    rows = []
    for n in range(3):
        rows += full_answers(instrument, f"h{n}", "nurse", lambda i, n=n: str(1 + (i.pk + n) % 5))
        rows += full_answers(instrument, f"s{n}", "physician", lambda i: "3")  # straight-lined
    round_ = import_rows(facility, "R", rows).round
    Round.objects.filter(pk=round_.pk).update(status="open")
    round_.refresh_from_db()
    viewer, owner = login(world["readers"]["viewer"]), login(world["readers"]["owner"])
    before = figures(results_json(viewer, round_))
    respond(round_, "legal", "5")  # the colleague
    url = reverse("round-exclude-flagged", args=[facility.slug, round_.pk])
    versions = [figures(results_json(viewer, round_))]
    owner.post(url, {"exclude": "on"})
    versions.append(figures(results_json(viewer, round_)))
    owner.post(url, {})
    versions.append(figures(results_json(viewer, round_)))
    assert versions == [before] * 3
    assert results_json(viewer, round_)["waiting"] == 1


# --- Found by the second adversarial review -------------------------------------------


def test_ties_between_cells_are_broken_the_same_way_on_every_process():
    """Two server processes once hid different cells of a tie (set order), and the two
    versions together left two people to subtract."""
    aggregates = {
        "respondents": 9,
        "roles": {"nurse": 3, "physician": 3, "manager": 3},
        "determinants": {
            "LEGAL": {
                "domain": "D",
                "scored": 8,
                "mean": 50.0,
                "squares": 0,
                "answers": 9,
                "dont_know": 1,
                "rwg": 0.8,
            },
        },
        "cells": {
            "nurse": {"LEGAL": [40.0, 3]},
            "physician": {"LEGAL": [60.0, 3]},
            "manager": {"LEGAL": [50.0, 2]},
        },
        "items": {},
        "item_cells": {},
    }
    for order in (["nurse", "physician", "manager"], ["physician", "nurse", "manager"]):
        shown = restrict(aggregates, minimum=3, role_codes=order)
        # the managers' 2 are hidden; the first-listed of the tied roles goes with them
        assert "LEGAL" not in shown["cells"][order[0]]
        assert shown["cells"][order[1]]["LEGAL"] == aggregates["cells"][order[1]]["LEGAL"]


def test_raising_the_minimum_never_lets_a_shown_determinant_move_by_one(world, instrument):
    facility, owner = world["facility"], world["readers"]["owner"]

    def people(prefix, count, legal):
        return [
            row
            for n in range(count)
            for row in full_answers(
                instrument,
                f"{prefix}{n}",
                "nurse",
                lambda item, n=n: (
                    "DK" if not legal(n) and item.determinant.code == "LEGAL" else "4"
                ),
            )
        ]

    round_ = import_rows(facility, "R", people("a", 4, lambda n: n < 3)).round
    client = login(owner)
    # (3 of the 4 have a LEGAL score; the page hides that count, 1 has none)
    assert disclosure.release_for(round_).aggregates["determinants"]["LEGAL"]["scored"] == 3
    client.post(reverse("facility-min-group", args=[facility.slug]), {"min_group": 4})
    # four join, only one of them rates LEGAL: LEGAL would go 3 -> 4 people
    import_rows(facility, "R", people("b", 4, lambda n: n == 0))
    data = results_json(client, round_)
    assert data["respondents"] == 4 and data["waiting"] == 4


def test_a_role_named_in_answer_downloads_is_never_merged_later(world, instrument):
    """Downloads named 3 security people; one front-desk person joining could be pooled
    only with them, and comparing downloads would leave the front-desk person's row."""
    facility = world["facility"]
    rows = []
    for role, count in (("nurse", 3), ("security", 3)):
        for n in range(count):
            rows += full_answers(
                instrument, f"{role}{n}", role, lambda i, n=n: str(1 + (i.pk + n) % 5)
            )
    round_ = import_rows(facility, "R", rows).round
    joiners = []
    for role, name in (("nurse", "n7"), ("nurse", "n8"), ("nurse", "n9"), ("front_desk", "f0")):
        joiners += full_answers(instrument, name, role, lambda i: str(1 + i.pk % 5))
    import_rows(facility, "R", joiners)
    release = disclosure.release_for(round_)
    assert "security" not in release.merged_roles
    # the three nurses joined; the front-desk person waits for more of their role
    assert release.aggregates["roles"] == {"nurse": 6, "security": 3}
    assert results_json(login(world["readers"]["owner"]), round_)["waiting"] == 1


def test_waiting_moves_the_same_whether_or_not_someone_was_flagged(world, instrument):
    facility = world["facility"]
    rows = [
        row
        for n in range(3)
        for row in full_answers(
            instrument, f"h{n}", "nurse", lambda i, n=n: str(1 + (i.pk + n) % 5)
        )
    ]
    round_ = import_rows(facility, "R", rows).round
    Round.objects.filter(pk=round_.pk).update(status="open", exclude_flagged=True)
    round_.refresh_from_db()
    viewer = login(world["readers"]["viewer"])
    respond(round_, "nurse", "3")  # the same answer everywhere: flagged, kept out
    assert results_json(viewer, round_)["waiting"] == 1


def test_a_partners_results_json_follows_the_share(world, instrument, owner):
    """A share without roles or strategies, for one chosen round: the JSON holds the
    facility-level results of that round only, with the rest null and "not_shared"."""
    facility = world["facility"]
    rows = [
        row
        for n in range(3)
        for row in full_answers(instrument, f"p{n}", "nurse", lambda item, n=n: str(2 + n))
    ]
    earlier = import_rows(facility, "Earlier", rows).round
    chosen = import_rows(facility, "Chosen", rows).round
    _, member = make_partner(
        facility, by=owner, slug="narrow", roles=False, strategies=False, rounds=[chosen]
    )
    client = login(member)
    data = results_json(client, chosen)
    assert data["overall"] is not None and data["suppressed"] is None
    for part in ("roles", "recommendations", "benchmarks"):
        assert data[part] is None
        assert data[f"{part}_suppressed"] == Hidden.NOT_SHARED
    not_chosen = reverse("round-results-json", args=[facility.slug, earlier.pk])
    assert client.get(not_chosen).status_code == 404
    # the facility's own viewer sees the parts the share leaves out
    full = results_json(login(world["readers"]["viewer"]), chosen)
    assert full["roles"]["nurse"]["respondents"] == 3 and full["recommendations"] is not None
