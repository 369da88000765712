"""Answer-level downloads (rule 4 of readiness/disclosure/): fresh random ids, random
order, finished respondents only unless asked, small roles merged, the round's dates, the
network's access only when the owners grant it, and every download in the audit log."""

import csv
import io
import json
import re
from datetime import date, datetime
from html.parser import HTMLParser

from django.urls import reverse
from openpyxl import load_workbook

from readiness import exports
from readiness.disclosure import SMALL_ROLES, merged_roles
from readiness.models import (
    AuditEvent,
    Facility,
    Item,
    Membership,
    PreparedDownload,
    Respondent,
    Role,
    Round,
)
from readiness.services.downloads import prepare
from readiness.services.facilities import create_facility
from tests.clients import Client, login
from tests.conftest import import_rows, make_partner, make_user
from tests.downloads import (
    asked,
    audit_downloads,
    download_id_of,
    facility_answers,
    network_answers,
)
from tests.pages import element

RANDOM_ID = re.compile(r"^r[0-9a-f]{8}$")


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def csv_header(response) -> list[str]:
    text = b"".join(response.streaming_content).decode()
    return next(csv.reader(io.StringIO(text)))


def owner_csv(client, slug="mercy", **params) -> list[dict]:
    return csv_rows(facility_answers(client, slug, "csv", **params))


def by_respondent(rows) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["respondent"], []).append(row)
    return grouped


def role_of(rows) -> dict[str, str]:
    """{random id: role value}, checking each respondent has one role on all rows."""
    roles = {}
    for respondent, answers in by_respondent(rows).items():
        assert len({row["role"] for row in answers}) == 1
        roles[respondent] = answers[0]["role"]
    return roles


def people(facility, label, roles: dict[str, int], instrument, *, item_count=1):
    """Finished respondents: {role code: how many}; each answers the first items."""
    items = list(
        Item.objects.filter(determinant__domain__instrument=instrument).values_list(
            "code", flat=True
        )[:item_count]
    )
    rows = [
        (f"{role}-{n}", role, item, 3)
        for role, count in roles.items()
        for n in range(count)
        for item in items
    ]
    return import_rows(facility, label, rows).round


# --- Random ids and order ----------------------------------------------------------------

N_ENCODED = 20
ENCODING_ITEMS = ["LEGAL-1", "LEGAL-2"]


def encoded_round(facility):
    """N_ENCODED nurses; respondent n answers LEGAL-1 and LEGAL-2 with n's two base-5
    digits, so each row can be traced to its database respondent."""
    rows = []
    for n in range(N_ENCODED):
        rows += [
            (f"p{n}", "nurse", ENCODING_ITEMS[0], n // 5 + 1),
            (f"p{n}", "nurse", ENCODING_ITEMS[1], n % 5 + 1),
        ]
    return import_rows(facility, "Spring", rows).round


def decoded_order(rows) -> list[int]:
    """The database respondents (0..N_ENCODED-1) in the order the file lists them."""
    order = []
    for answers in by_respondent(rows).values():
        values = {row["item"]: int(row["value"]) for row in answers}
        order.append((values[ENCODING_ITEMS[0]] - 1) * 5 + values[ENCODING_ITEMS[1]] - 1)
    return order


def test_each_download_has_fresh_random_ids_never_database_or_import_ids(
    facility, owner, instrument
):
    encoded_round(facility)
    pks = {str(pk) for pk in Respondent.objects.values_list("pk", flat=True)}
    forbidden = pks | {f"web-{pk}" for pk in pks} | {f"p{n}" for n in range(N_ENCODED)}
    client = login(owner)
    first, second = owner_csv(client), owner_csv(client)
    ids = []
    for rows in (first, second):
        assert len(rows) == 2 * N_ENCODED
        grouped = by_respondent(rows)
        assert len(grouped) == N_ENCODED  # unique within the file, one per respondent
        assert all(RANDOM_ID.match(respondent) for respondent in grouped)
        assert not forbidden & set(grouped)
        # nor anywhere else in the file (the values 1-5 are answers, not ids)
        assert not forbidden & {cell for row in rows for key, cell in row.items() if key != "value"}
        # a respondent's rows come together
        assert [row["respondent"] for row in rows] == [
            respondent for respondent, answers in grouped.items() for _ in answers
        ]
        ids.append(set(grouped))
    assert ids[0].isdisjoint(ids[1])
    assert "import_id" not in first[0] and "started_on" not in first[0]


def test_rows_do_not_follow_the_database_order(facility, owner, instrument):
    encoded_round(facility)
    client = login(owner)
    orders = [decoded_order(owner_csv(client)) for _ in range(8)]
    for order in orders:
        assert sorted(order) == list(range(N_ENCODED))  # everyone, once
        assert order != list(range(N_ENCODED))  # 1 in 20! by chance
        assert order != list(reversed(range(N_ENCODED)))
    assert len({tuple(order) for order in orders}) == 8
    # the respondent first in the file is not always the same one (1 in 20**7 by chance)
    assert len({order[0] for order in orders}) > 1


def test_answers_are_read_in_batches_of_respondents(facility, owner, instrument, monkeypatch):
    encoded_round(facility)
    monkeypatch.setattr(exports.answers, "RESPONDENTS_PER_QUERY", 3)  # 7 batches
    rows = owner_csv(login(owner))
    assert sorted(decoded_order(rows)) == list(range(N_ENCODED))
    for answers in by_respondent(rows).values():
        assert [row["item"] for row in answers] == ENCODING_ITEMS


# --- Who is included ------------------------------------------------------------------


def test_only_published_people_unless_the_owner_asks_for_everyone(facility, owner, instrument):
    """By default rows, like results, hold the published people only, so a download before
    and after one colleague finishes shows no new row (rule 3); on request, everyone."""
    from readiness.services.responses import save_page, start_respondent

    round_ = people(facility, "Spring", {"nurse": 4}, instrument, item_count=2)
    nurse = Role.objects.get(instrument=instrument, code="nurse")
    items = Item.objects.filter(determinant__domain__instrument=instrument)
    answers = {item.pk: ("scale", 3) for item in items}
    Round.objects.filter(pk=round_.pk).update(status=Round.Status.OPEN)
    round_.refresh_from_db()
    latecomer = start_respondent(round_=round_, role=nurse, nonce="l" * 30).respondent
    save_page(respondent=latecomer, page=5, answers=answers, finish=True)  # waiting
    answering = start_respondent(round_=round_, role=nurse, nonce="a" * 30).respondent
    save_page(respondent=answering, page=1, answers=answers)  # still answering
    client = login(owner)
    rows = owner_csv(client)
    assert len(by_respondent(rows)) == 4
    assert {row["status"] for row in rows} == {"finished"}
    rows = owner_csv(client, unfinished="1")
    statuses = sorted(answers_[0]["status"] for answers_ in by_respondent(rows).values())
    assert statuses == ["finished"] * 5 + ["in_progress"]
    # roles count finished people only: 5 finished nurses stay nurses
    assert set(role_of(rows).values()) == {"nurse"}
    response = facility_answers(client, "mercy", "json", unfinished="1")
    data = json.loads(b"".join(response.streaming_content))
    assert data["unfinished_included"] is True
    assert sorted(r["status"] for r in data["respondents"]) == ["finished"] * 5 + ["in_progress"]
    exported = AuditEvent.objects.filter(facility=facility, action=AuditEvent.Action.EXPORTED)
    assert [(e.detail["format"], e.detail["unfinished_included"]) for e in exported] == [
        ("json", True),
        ("csv", True),
        ("csv", False),
    ]


class Inputs(HTMLParser):
    """Every form field and label of a page, by id, and its forms."""

    @classmethod
    def of(cls, html: str) -> "Inputs":
        page = cls()
        page.feed(html)
        return page

    def forms_posting_to(self, action: str) -> int:
        return sum(
            1
            for form in self.forms
            if form.get("method") == "post" and form.get("action") == action
        )

    def __init__(self):
        super().__init__()
        self.inputs, self.labels, self.label_for, self.forms = {}, {}, None, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(attrs)
        elif tag == "input" and "id" in attrs:
            self.inputs[attrs["id"]] = attrs | {"form": self.forms[-1] if self.forms else {}}
        elif tag == "label":
            self.label_for = attrs.get("for")
            self.labels[self.label_for] = ""

    def handle_endtag(self, tag):
        if tag == "label":
            self.label_for = None

    def handle_data(self, data):
        if self.label_for:
            self.labels[self.label_for] += data


def test_the_facility_page_offers_unfinished_people_as_a_labelled_choice(
    facility, owner, viewer, instrument
):
    page = Inputs()
    page.feed(login(owner).get(facility.get_absolute_url()).content.decode())
    box = page.inputs["download-unfinished"]
    # (a ticked box without a value attribute is sent as "on")
    assert (box["type"], box["name"], box.get("value", "on")) == ("checkbox", "unfinished", "on")
    assert box["form"]["method"] == "post"
    assert box["form"]["action"] == reverse("facility-answers-prepare", args=["mercy"])
    assert page.labels["download-unfinished"] == (
        "also people not in the published results yet "
        "(still answering, or finished since the last update)"
    )
    page = Inputs()
    page.feed(login(viewer).get(facility.get_absolute_url()).content.decode())
    assert "download-unfinished" not in page.inputs


# --- Small roles --------------------------------------------------------------------------


def test_the_rule_merges_small_roles_until_they_hold_the_minimum():
    assert merged_roles({"security": 1, "front_desk": 3, "nurse": 5}, 3) == [
        "front_desk",
        "security",
    ]
    # two roles of 1 would be a group of 2: the next smallest joins them
    assert merged_roles({"security": 1, "legal": 1, "nurse": 5, "physician": 4}, 3) == [
        "legal",
        "physician",
        "security",
    ]
    assert merged_roles({"nurse": 3, "physician": 4}, 3) == []
    # merged once, merged for good: the nurses stay merged with the lone legal person
    assert merged_roles({"nurse": 6, "physician": 4, "legal": 1}, 3, already=["nurse"]) == [
        "legal",
        "nurse",
    ]


def test_two_downloads_never_tell_apart_what_one_of_them_merged(facility, owner, instrument):
    """The reviewer's attack: one download merged {legal, nurse}, a later one {legal,
    physician}; the one row called "small roles" in both was the lone legal person."""
    from readiness.services.responses import save_page, start_respondent

    round_ = people(facility, "Spring", {"nurse": 3, "physician": 4, "legal": 1}, instrument)
    first = owner_csv(login(owner))
    Round.objects.filter(pk=round_.pk).update(status=Round.Status.OPEN)
    round_.refresh_from_db()
    nurse = Role.objects.get(instrument=instrument, code="nurse")
    answers = {
        i.pk: ("scale", 3) for i in Item.objects.filter(determinant__domain__instrument=instrument)
    }
    for n in range(3):  # three more nurses: a step, the nurses grow to six
        joiner = start_respondent(round_=round_, role=nurse, nonce=f"{n}" * 30).respondent
        save_page(respondent=joiner, page=5, answers=answers, finish=True)
    later = owner_csv(login(owner), unfinished="1")
    # the nurses, merged to protect the legal person, stay merged when they are six: the
    # rows "small roles" in both downloads are the 4 of the first, never 1
    assert sorted(role_of(first).values()) == ["physician"] * 4 + [SMALL_ROLES] * 4
    assert sorted(role_of(later).values()) == ["physician"] * 4 + [SMALL_ROLES] * 7


def test_security_and_legal_become_small_roles_and_nurses_stay(facility, owner, instrument):
    people(facility, "Spring", {"security": 1, "legal": 2, "nurse": 5}, instrument)
    roles = role_of(owner_csv(login(owner)))
    assert sorted(roles.values()) == ["nurse"] * 5 + [SMALL_ROLES] * 3


def test_one_security_and_one_legal_would_be_a_group_of_two_so_nurses_join(
    facility, owner, instrument
):
    """1 security + 1 legal + 5 nurses: "small roles" would hold only 2 people, so the
    next smallest role (the nurses) is merged too, as disclosure.groups_to_hide does."""
    people(facility, "Spring", {"security": 1, "legal": 1, "nurse": 5}, instrument)
    roles = role_of(owner_csv(login(owner)))
    assert sorted(roles.values()) == [SMALL_ROLES] * 7


def test_a_single_security_person_takes_front_desk_into_small_roles(facility, owner, instrument):
    people(facility, "Spring", {"security": 1, "front_desk": 3, "nurse": 5}, instrument)
    roles = role_of(owner_csv(login(owner)))
    assert sorted(roles.values()) == ["nurse"] * 5 + [SMALL_ROLES] * 4


def test_roles_are_merged_per_round_and_follow_the_facilitys_minimum(facility, owner, instrument):
    people(facility, "Spring", {"security": 1, "front_desk": 3, "nurse": 5}, instrument)
    people(facility, "Fall", {"security": 3, "nurse": 4}, instrument)
    rows = owner_csv(login(owner))
    by_round = {
        label: sorted(
            role_of([row for row in rows if row["round"] == label]).values(),
        )
        for label in ("Spring", "Fall")
    }
    assert by_round == {
        "Spring": ["nurse"] * 5 + [SMALL_ROLES] * 4,
        "Fall": ["nurse"] * 4 + ["security"] * 3,
    }
    Facility.objects.filter(pk=facility.pk).update(min_group=5)
    rows = owner_csv(login(owner))
    fall = role_of([row for row in rows if row["round"] == "Fall"])
    assert sorted(fall.values()) == [SMALL_ROLES] * 7  # 4 nurses < 5, then everyone


# --- Dates ----------------------------------------------------------------------------------


def test_dates_are_the_rounds(facility, owner, instrument):
    round_ = people(facility, "Spring", {"nurse": 3}, instrument, item_count=2)
    Round.objects.filter(pk=round_.pk).update(
        opened_on=date(2026, 3, 2), closed_on=date(2026, 4, 15), status="closed"
    )
    Respondent.objects.filter(round=round_).update(
        started_on=date(2026, 3, 17), finished_on=date(2026, 3, 18)
    )
    client = login(owner)
    response = facility_answers(client, "mercy", "csv")
    assert csv_header(response) == [
        "round",
        "respondent",
        "role",
        "status",
        "opened_on",
        "closed_on",
        "item",
        "value",
    ]
    rows = owner_csv(client)
    assert len(rows) == 6
    assert {(row["opened_on"], row["closed_on"]) for row in rows} == {("2026-03-02", "2026-04-15")}
    cells = {cell for row in rows for cell in row.values()}
    assert not cells & {"2026-03-17", "2026-03-18"}
    response = facility_answers(client, "mercy", "xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][4:6] == ("opened_on", "closed_on") and len(values) == 7
    assert {(row[4].date(), row[5].date()) for row in values[1:]} == {
        (date(2026, 3, 2), date(2026, 4, 15))
    }
    assert all(RANDOM_ID.match(row[1]) for row in values[1:])
    response = facility_answers(client, "mercy", "json")
    data = json.loads(b"".join(response.streaming_content))
    assert data["rounds"][0]["opened_on"] == "2026-03-02"
    assert data["rounds"][0]["closed_on"] == "2026-04-15"
    assert set(data["respondents"][0]) == {"round", "respondent", "role", "status", "answers"}


# --- Who may download -------------------------------------------------------------------------


def test_only_owners_download_a_facilitys_answers(
    facility, owner, viewer, outsider, instrument, network, leader
):
    people(facility, "Spring", {"nurse": 3}, instrument)
    Facility.objects.filter(pk=facility.pk).update(network=network, network_answer_access=True)
    editor = make_user("editor")
    Membership.objects.create(user=editor, facility=facility, level=Membership.Level.EDITOR)
    _partner, partner_user = make_partner(facility, by=owner, slug="partner")
    expected = {viewer: 403, editor: 403, partner_user: 403, leader: 403, outsider: 404}
    url = reverse("facility-answers-prepare", args=["mercy"])
    for fmt in ("csv", "json", "xlsx", "zip"):
        for user, status in expected.items():
            assert asked(login(user), url, fmt, unfinished="on").status_code == status
        assert facility_answers(login(owner), "mercy", fmt).status_code == 200
    assert Client().post(url, {"format": "csv"}).status_code == 302  # to sign in
    assert not PreparedDownload.objects.exclude(requested_by=owner).exists()
    downloads = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORTED)
    assert set(downloads.values_list("username", flat=True)) == {"owner"}


def network_site(network, instrument, slug, roles):
    facility = create_facility(name=f"Site {slug}", slug=slug, type="fqhc", state="CA")
    facility.network = network
    facility.save()
    site_owner = make_user(f"owner-{slug}")
    Membership.objects.create(user=site_owner, facility=facility, level=Membership.Level.OWNER)
    people(facility, "Spring", roles, instrument)
    return facility, site_owner


def answers_csv(client, network) -> list[dict]:
    return csv_rows(network_answers(client, network.slug, "csv"))


class TextOf(HTMLParser):
    """The text of the element with an id, whitespace collapsed."""

    def __init__(self, element_id):
        super().__init__()
        self.element_id, self.depth, self.parts = element_id, 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.element_id:
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)

    @classmethod
    def read(cls, html: str, element_id: str) -> str:
        parser = cls(element_id)
        parser.feed(html)
        return " ".join(" ".join(parser.parts).split())


def test_network_leaders_get_answers_only_while_the_owners_allow_it(
    network, leader, instrument, downloads_dir
):
    a, owner_a = network_site(network, instrument, "a", {"nurse": 3, "security": 1})
    network_site(network, instrument, "b", {"nurse": 4})
    client = login(leader)
    prepare_url = reverse("network-answers-prepare", args=[network.slug])
    # off by default: nothing to ask for, and asking anyway prepares nothing
    page = client.get(network.get_absolute_url()).content.decode()
    assert TextOf.read(page, "answer-sites").startswith(
        "Answer downloads include only sites whose owners allow it: 0 of 2."
    )
    assert Inputs.of(page).forms_posting_to(prepare_url) == 0
    for fmt in ("csv", "xlsx", "zip"):
        refused = asked(client, prepare_url, fmt)
        assert (refused.status_code, refused.url) == (302, network.get_absolute_url())
    assert not PreparedDownload.objects.exists()

    url = reverse("network-answer-access", args=["a"])
    assert login(owner_a).post(url, {"allowed": "on"}).status_code == 302
    rows = answers_csv(client, network)
    assert {row["facility"] for row in rows} == {"a"}
    assert len(by_respondent(rows)) == 4
    assert sorted(role_of(rows).values()) == [SMALL_ROLES] * 4  # 1 security: nurses join
    page = client.get(network.get_absolute_url()).content.decode()
    assert TextOf.read(page, "answer-sites").startswith(
        "Answer downloads include only sites whose owners allow it: 1 of 2 (Site a)."
    )

    assert Inputs.of(page).forms_posting_to(prepare_url) == 1
    # a file prepared while a site allowed it, not yet fetched
    waiting = download_id_of(asked(client, prepare_url, "csv"))
    prepare(waiting)

    assert login(owner_a).post(url, {}).status_code == 302  # unticked: revoked
    assert not list(downloads_dir.iterdir())  # deleted with the permission, before any visit
    refused = asked(client, prepare_url, "csv")
    assert (refused.status_code, refused.url) == (302, network.get_absolute_url())
    # the prepared file went with the permission: deleted, and its page says why
    fetch = client.get(reverse("download-file", args=[waiting]))
    assert (fetch.status_code, fetch.url) == (302, reverse("download-status", args=[waiting]))
    status_page = client.get(fetch.url).content.decode()
    assert TextOf.read(status_page, "download-failure-text").startswith(
        "A site withdrew its permission for the network to download its answers"
    )
    assert [
        action
        for action in a.audit_events.order_by("id").values_list("action", flat=True)
        if action.startswith("network_answers")
    ] == ["network_answers_granted", "network_answers_revoked"]


def test_only_owners_grant_and_only_by_post(network, leader, instrument, facility, viewer):
    Facility.objects.filter(pk=facility.pk).update(network=network)
    url = reverse("network-answer-access", args=["mercy"])
    assert login(viewer).post(url, {"allowed": "on"}).status_code == 403
    assert login(leader).post(url, {"allowed": "on"}).status_code == 403
    owner = Membership.objects.get(facility=facility, level="owner").user
    assert login(owner).get(url).status_code == 405
    facility.refresh_from_db()
    assert facility.network_answer_access is False


def test_the_choice_is_offered_only_to_a_networks_facilities(facility, owner, network):
    client = login(owner)
    members = reverse("facility-members", args=["mercy"])
    assert TextOf.read(client.get(members).content.decode(), "network-answers-help") == ""
    # granting outside a network is refused
    client.post(reverse("network-answer-access", args=["mercy"]), {"allowed": "on"})
    facility.refresh_from_db()
    assert facility.network_answer_access is False
    Facility.objects.filter(pk=facility.pk).update(network=network)
    html = client.get(members).content.decode()
    help_text = TextOf.read(html, "network-answers-help")
    assert help_text.startswith("If you allow it, they can download the answers")
    # the box says the choice as it stands, and is tied to what it means
    box = element(html, "network-answers")
    assert box["type"] == "checkbox" and box["name"] == "allowed" and "checked" not in box
    assert box["aria-describedby"] == "network-answers-help"
    client.post(reverse("network-answer-access", args=["mercy"]), {"allowed": "on"})
    assert "checked" in element(client.get(members).content.decode(), "network-answers")


# --- The audit log -----------------------------------------------------------------------------


def _by_content(event):
    # an order that does not depend on how the database orders JSON keys (PostgreSQL's
    # jsonb sorts them)
    who, detail = event
    return who, sorted(detail.items())


def test_every_download_is_in_the_facilitys_audit_log(network, leader, instrument):
    a, owner_a = network_site(network, instrument, "a", {"nurse": 3})
    b, owner_b = network_site(network, instrument, "b", {"nurse": 3})
    Facility.objects.filter(pk=a.pk).update(network_answer_access=True)
    client = login(leader)
    for name in ("network-comparison-csv", "network-comparison-xlsx"):
        assert client.get(reverse(name, args=[network.slug])).status_code == 200
    for fmt in ("csv", "xlsx"):
        assert network_answers(client, network.slug, fmt).status_code == 200
    spring = a.rounds.get()
    _, partner_user = make_partner(a, by=owner_a)
    for reader in (client, login(partner_user)):
        json_url = reverse("round-results-json", args=[a.slug, spring.pk])
        assert reader.get(json_url).status_code == 200
    owner_client = login(owner_a)
    owner_csv(owner_client, "a", unfinished="1")

    def details(who, kind, fmt, **extra):
        return (who, {"download": kind, "network": network.name, "format": fmt} | extra)

    assert sorted(audit_downloads(owner_client, "a"), key=_by_content) == sorted(
        [
            details("leader", "network comparison", "csv"),
            details("leader", "network comparison", "xlsx"),
            details("leader", "network answers", "csv"),
            details("leader", "network answers", "xlsx"),
            ("owner-a", {"download": "answers", "format": "csv", "unfinished_included": "True"}),
            ("leader", {"download": "results", "format": "json", "round": "Spring"}),
            (partner_user.username, {"download": "results", "format": "json", "round": "Spring"}),
        ],
        key=_by_content,
    )
    # b did not allow answer downloads: only the comparison concerned it
    assert sorted(audit_downloads(login(owner_b), "b"), key=_by_content) == sorted(
        [
            details("leader", "network comparison", "csv"),
            details("leader", "network comparison", "xlsx"),
        ],
        key=_by_content,
    )


def test_small_roles_rows_never_tell_the_role_by_the_statements_answered(facility, owner):
    """In 2027.1 statements are asked by role: a "small roles" row with an answer to a
    statement only legal staff are asked would name the role. Such rows hold only the
    statements every role is asked."""
    from readiness.management.files import read_json
    from readiness.services.instrument import load_instrument
    from tests.conftest import ROOT, full_answers

    instrument = load_instrument(data=read_json(ROOT / "fixtures" / "instrument-2027.1.json"))
    instrument = instrument.instrument
    asked = {
        item.code: item for item in Item.objects.filter(determinant__domain__instrument=instrument)
    }
    rows = []
    for role, count in {"nurse": 5, "legal": 1, "security": 2}.items():
        for n in range(count):
            rows += [
                row
                for row in full_answers(instrument, f"{role}{n}", role, lambda item: "4")
                if asked[row[2]].is_asked_of(role)
            ]
    import_rows(facility, "Spring", rows)
    answers = by_respondent(owner_csv(login(owner)))
    small = [rows for rows in answers.values() if rows[0]["role"] == SMALL_ROLES]
    assert len(small) == 3
    everyone = sorted(code for code, item in asked.items() if not item.asked_of)
    assert all(sorted(row["item"] for row in rows) == everyone for rows in small)
    nurses = [rows for rows in answers.values() if rows[0]["role"] == "nurse"]
    assert len(nurses[0]) > len(everyone)  # named roles keep their own statements


def test_a_download_with_everyone_never_names_a_small_roles_group_of_one(
    facility, owner, instrument
):
    """The reviewers' attacks: 3 nurses published, one security guard finished after the
    last update; "small roles" in the download with everyone held the guard alone.
    Merging the nurses too would undo what the published download names (the nurses'
    rows match between the two, the guard's is the one left). The guard is left out of
    the download until published."""
    from readiness.services.responses import save_page, start_respondent

    round_ = people(facility, "Spring", {"nurse": 3}, instrument)
    Round.objects.filter(pk=round_.pk).update(status=Round.Status.OPEN)
    round_.refresh_from_db()
    guard = Role.objects.get(instrument=instrument, code="security")
    answers = {
        i.pk: ("scale", 3) for i in Item.objects.filter(determinant__domain__instrument=instrument)
    }
    joiner = start_respondent(round_=round_, role=guard, nonce="g" * 30).respondent
    save_page(respondent=joiner, page=5, answers=answers, finish=True)
    assert sorted(role_of(owner_csv(login(owner))).values()) == ["nurse"] * 3
    everyone = role_of(owner_csv(login(owner), unfinished="1"))
    assert sorted(everyone.values()) == ["nurse"] * 3


def test_the_everything_download_holds_the_facilitys_own_records(facility, owner, instrument):
    """Before deleting, owners take everything: members, plan, inventory, shares and
    the audit log beside the answers."""
    from readiness.models import ActionItem, FacilityIntervention, Intervention, Strategy

    people(facility, "Spring", {"nurse": 3}, instrument)
    strategy = Strategy.objects.filter(instrument=instrument).first()
    ActionItem.objects.create(
        facility=facility,
        strategy=strategy,
        title="Train security",
        targets=["LEGAL"],
        owner_member=owner,
        due_on=date(2027, 1, 31),
    )
    intervention = Intervention.objects.create(code="no-status", name="No status", description="-")
    FacilityIntervention.objects.create(
        facility=facility, intervention=intervention, status="in_place"
    )
    make_partner(facility, by=owner, slug="partner", roles=False)
    client = Client()
    client.force_login(owner)
    response = facility_answers(client, "mercy", "json")
    data = json.loads(b"".join(response.streaming_content))
    assert [(m["username"], m["level"]) for m in data["members"]] == [("owner", "owner")]
    (step,) = data["action_plan"]
    assert (step["title"], step["strategy"], step["targets"], step["owner"], step["due_on"]) == (
        "Train security",
        strategy.code,
        ["LEGAL"],
        "owner",
        "2027-01-31",
    )
    assert data["interventions"] == [
        {"intervention": "no-status", "status": "in_place", "since": None}
    ]
    (share,) = data["shares"]
    assert (share["partner"], share["include_roles"], share["accepted_at"] is not None) == (
        "Partner",
        False,
        True,
    )
    actions = [event["action"] for event in data["audit_log"]]
    assert {"share_granted", "share_accepted"} <= set(actions)
    # moments to the second, as the audit log gives them: a reader (or a test looking for
    # decimals) never mistakes "17:45:45.712345" for a figure
    since = datetime.fromisoformat(data["members"][0]["since"])
    assert since.microsecond == 0 and since.tzinfo is not None
    assert data["respondents"]  # and the answers, as before
