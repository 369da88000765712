"""What staff said, statement by statement (dashboard, results.json), under the same
small-group rules as the scores (readiness/disclosure/)."""

import pytest
from django.urls import reverse

from readiness.disclosure.groups import _statements
from readiness.models import Item
from tests.clients import Client
from tests.conftest import full_answers, import_rows, make_partner, routed_toy
from tests.pages import tags, text_of

NONE = {"agree": 0, "neutral": 0, "disagree": 0, "dont_know": 0, "not_applicable": 0}


HIDDEN = dict.fromkeys(NONE)


@pytest.mark.parametrize(
    ("counts", "shown"),
    [
        # one "don't know" would be about one person; a "hidden" beside the zeros would
        # say so, so every group of the statement is hidden, the empty ones too
        ({"agree": 9, "dont_know": 1}, HIDDEN),
        ({"agree": 3, "disagree": 3}, NONE | {"agree": 3, "disagree": 3}),
        ({"agree": 6, "disagree": 2, "dont_know": 1}, HIDDEN),
    ],
)
def test_a_statement_is_shown_whole_or_not_at_all(counts, shown):
    (statement,) = _statements({"X": NONE | counts}, 3).values()
    assert statement["asked"] == sum(counts.values())
    assert statement["counts"] == shown


def test_hidden_statements_hide_their_determinants_dont_know_rate(facility, instrument, owner):
    """The reviewer's attack: LEGAL-1 showed 5 agree, 0 neutral and two hidden groups;
    LEGAL's don't-know rate times its answers, less the shown don't-knows, gave the
    hidden don't-knows, and so exactly one nurse disagreed."""
    rows = []
    for n in range(8):
        value = {0: "2", 1: "DK", 2: "DK"}.get(n, "4")
        rows += full_answers(
            instrument,
            f"n{n}",
            "nurse",
            lambda item, value=value: value if item.code == "LEGAL-1" else "4",
        )
    round_ = import_rows(facility, "R", rows).round
    client = Client()
    client.force_login(owner)
    data = client.get(reverse("round-results-json", args=[facility.slug, round_.pk])).json()
    (legal_1,) = [s for s in data["statements"] if s["item"] == "LEGAL-1"]
    assert set(legal_1["counts"].values()) == {None}
    legal = next(d for d in data["determinants"] if d["code"] == "LEGAL")
    assert legal["score"] is not None and legal["dont_know_rate"] is None
    comms = next(d for d in data["determinants"] if d["code"] == "COMMS")
    assert comms["dont_know_rate"] == 0  # its statements are all shown


def test_a_statement_fewer_than_three_answered_is_not_shown():
    assert _statements({"X": NONE | {"agree": 2}}, 3) == {}


def _nurses_and_physicians(instrument, item_code):
    """14 nurses, 9 of whom do not know the answer to one statement, and 3 physicians."""
    rows = []
    for n in range(14):
        rows += full_answers(
            instrument,
            f"n{n}",
            "nurse",
            lambda item, n=n: "DK" if item.code == item_code and n < 9 else "4",
        )
    for n in range(3):
        rows += full_answers(instrument, f"p{n}", "physician", lambda item: "2")
    return rows


def test_the_dashboard_says_in_plain_words_what_a_role_does_not_know(facility, instrument, owner):
    item = Item.objects.get(determinant__domain__instrument=instrument, code="LEGAL-3")
    round_ = import_rows(facility, "R", _nurses_and_physicians(instrument, item.code)).round
    client = Client()
    client.force_login(owner)
    html = client.get(round_.get_absolute_url()).content.decode()
    first = text_of(html, "unknown-statements").split(item.text)[0]
    assert first == "9 of 14 people in the role “Nurse” answered “Don't know” to: "
    # published all at once: by role, and never for everyone as well
    data = client.get(reverse("round-results-json", args=[facility.slug, round_.pk])).json()
    rows = [s for s in data["statements"] if s["item"] == item.code]
    assert {s["role"] for s in rows} == {"nurse", "physician"}
    nurses = next(s for s in rows if s["role"] == "nurse")
    assert nurses["asked"] == 14 and nurses["counts"]["dont_know"] == 9
    assert nurses["counts"]["agree"] == 5
    assert tags(
        html, "table", id="statements-LEGAL", **{"class": "table table-sm mt-2 statements-table"}
    )


def test_a_partner_without_results_by_role_gets_no_statement_by_role(facility, instrument, owner):
    round_ = import_rows(facility, "R", _nurses_and_physicians(instrument, "LEGAL-3")).round
    _, member = make_partner(facility, by=owner, slug="narrow", roles=False)
    client = Client()
    client.force_login(member)
    data = client.get(reverse("round-results-json", args=[facility.slug, round_.pk])).json()
    assert data["statements"] == []
    html = client.get(round_.get_absolute_url()).content.decode()
    assert not tags(html, "table", id="statements-LEGAL")


def test_statements_are_shown_by_role_and_only_for_results_published_at_once(db, facility, owner):
    """COMMS-3 is asked of physicians only. For everyone, how many were asked it beside
    the roles' counts would give a hidden role's size, and a step would move it by the
    one physician among those joining: it is shown by role, in results published at
    once, and never in results published in steps."""
    from readiness.services.instrument import load_instrument

    instrument = load_instrument(data=routed_toy()).instrument

    def people(prefix, role, count, value):
        rows = []
        for n in range(count):
            rows += [
                row
                for row in full_answers(instrument, f"{prefix}{n}", role, lambda item: value)
                if Item.objects.get(pk=_item_pk(instrument, row[2])).is_asked_of(role)
            ]
        return rows

    round_ = import_rows(facility, "R", people("p", "physician", 3, "4")).round
    client = Client()
    client.force_login(owner)
    url = reverse("round-results-json", args=[facility.slug, round_.pk])
    first = [s for s in client.get(url).json()["statements"] if s["item"] == "COMMS-3"]
    assert [(s["role"], s["asked"]) for s in first] == [("physician", 3)]
    import_rows(facility, "R", people("q", "physician", 1, "1") + people("n", "nurse", 3, "5"))
    data = client.get(url).json()
    assert data["respondents"] == 7  # a second step: results published in steps
    # like results by role, no answers per statement for results published in steps:
    # a step's change in one answer group could be one person
    assert data["statements"] == []


def _item_pk(instrument, code):
    return Item.objects.get(determinant__domain__instrument=instrument, code=code).pk


@pytest.mark.parametrize("answer", ["DK", "4"])
def test_the_dont_know_rate_never_holds_a_statement_asked_of_one_person(
    db, facility, owner, answer
):
    """The reviewer's attack: INFRA-7 is asked of managers and executives only; with one
    manager among the people, INFRA's don't-know rate was 1/13 if that manager said
    "Don't know" to it and 0 if not. The rate is taken over the statements every role
    is asked."""
    from readiness.management.files import read_json
    from readiness.services.instrument import load_instrument
    from tests.conftest import ROOT

    instrument = load_instrument(
        data=read_json(ROOT / "fixtures" / "instrument-2027.1.json")
    ).instrument
    asked = {i.code: i for i in Item.objects.filter(determinant__domain__instrument=instrument)}
    rows = []
    for name, role in (("n1", "nurse"), ("n2", "nurse"), ("n3", "nurse"), ("m", "manager")):
        rows += [
            (name, role, code, answer if (name, code) == ("m", "INFRA-7") else "4")
            for code, item in asked.items()
            if item.is_asked_of(role)
        ]
    round_ = import_rows(facility, "R", rows).round
    client = Client()
    client.force_login(owner)
    data = client.get(reverse("round-results-json", args=[facility.slug, round_.pk])).json()
    infra = next(d for d in data["determinants"] if d["code"] == "INFRA")
    assert infra["dont_know_rate"] == 0


def test_how_many_have_a_score_is_hidden_when_one_or_two_have_none(facility, instrument, owner):
    """The reviewer's attack: LEGAL showed 7 people with a score of 8, so exactly one
    person answered "don't know" to most of its statements."""
    rows = []
    for n in range(8):
        rows += full_answers(
            instrument,
            f"n{n}",
            "nurse",
            lambda item, n=n: "DK" if n == 0 and item.determinant.code == "LEGAL" else "4",
        )
    round_ = import_rows(facility, "R", rows).round
    client = Client()
    client.force_login(owner)
    data = client.get(reverse("round-results-json", args=[facility.slug, round_.pk])).json()
    legal = next(d for d in data["determinants"] if d["code"] == "LEGAL")
    assert legal["score"] is not None and legal["respondents"] is None
    comms = next(d for d in data["determinants"] if d["code"] == "COMMS")
    assert comms["respondents"] == 8
