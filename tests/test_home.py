"""Where each person lands after signing in (views/home.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from readiness.models import (
    Facility,
    Membership,
    NetworkLeader,
    Partner,
    PartnerMembership,
    Round,
)
from tests.clients import code_now, login, with_app
from tests.conftest import make_user
from tests.pages import table, text_of


@pytest.fixture
def partner(db):
    return Partner.objects.create(name="Advocates", slug="advocates")


def test_a_network_leader_lands_on_the_network(network, leader):
    response = login(leader).get(reverse("home"))
    assert response["Location"] == network.get_absolute_url()


def test_a_partner_lands_on_the_portfolio(partner):
    member = make_user("member")
    PartnerMembership.objects.create(user=member, partner=partner)
    response = login(member).get(reverse("home"))
    assert response["Location"] == reverse("partner-portfolio", args=["advocates"])


def test_signing_in_goes_to_the_start_page_of_the_persons_role(partner, client):
    member = make_user("member")
    PartnerMembership.objects.create(user=member, partner=partner)
    app = with_app(member)
    client.post(reverse("login"), {"username": "member", "password": "pw-member"})
    response = client.post(reverse("two-factor-verify"), {"code": code_now(app)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("partner-portfolio", args=["advocates"])


def test_someone_with_several_roles_sees_each_on_the_list(network, partner, facility):
    person = make_user("both")
    NetworkLeader.objects.create(user=person, network=network)
    PartnerMembership.objects.create(user=person, partner=partner)
    client = login(person)
    assert client.get(reverse("home"))["Location"] == reverse("facility-list")
    html = client.get(reverse("facility-list")).content.decode()
    assert f'href="{network.get_absolute_url()}"' in html
    assert f'href="{partner.get_absolute_url()}"' in html
    # a facility member who leads a network too starts on the list of facilities
    Membership.objects.create(user=person, facility=facility, level="viewer")
    assert client.get(reverse("home"))["Location"] == reverse("facility-list")


def test_members_of_a_facility_start_on_their_facilities(facility, owner):
    assert login(owner).get(reverse("home"))["Location"] == reverse("facility-list")


def test_someone_with_no_role_yet_is_asked_to_add_a_facility(db):
    html = login(make_user("new")).get(reverse("facility-list")).content.decode()
    assert text_of(html, "no-facility") == (
        "You do not belong to any facility yet. Add yours to run an assessment."
    )


def test_the_list_of_facilities_shows_a_page_at_a_time(instrument, monkeypatch):
    """Someone in hundreds of facilities (a network's administrator) gets pages of them,
    each page the same number of queries."""
    monkeypatch.setattr("readiness.paging.PAGE_SIZE", 2)
    person = make_user("many")
    rows = {}
    for name in ("Clinic C", "Clinic A", "Clinic B"):
        facility = Facility.objects.create(
            name=name, slug=name.lower().replace(" ", "-"), type="fqhc", state="CA"
        )
        Membership.objects.create(user=person, facility=facility, level=Membership.Level.VIEWER)
        rows[name] = f"{name} {facility.get_type_display()}, {facility.get_state_display()}"
    client = login(person)
    url = reverse("facility-list")

    def listed(params=None):
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url, params or {}).content.decode()
        return html, [row for row in table(html, "facilities-table") if row != "Facility"], queries

    clinic_a = Facility.objects.get(name="Clinic A")
    for label, opened_on in (("Spring", "2026-04-01"), ("Autumn", "2026-10-01")):
        Round.objects.create(
            facility=clinic_a, instrument=instrument, label=label, opened_on=opened_on
        )
    first, on_first, first_queries = listed()
    assert on_first == [rows["Clinic A"], rows["Clinic B"]]
    # how many rounds each has, and when the last one opened
    cells = table(first, "facilities-table")
    assert cells[rows["Clinic A"]][-2:] == ["2", "Oct 1, 2026"]
    assert cells[rows["Clinic B"]][-2:] == ["0", "–"]
    assert text_of(first, "facilities-position") == "Showing 1 to 2 of 3 (page 1 of 2)."
    _, on_second, second_queries = listed({"page": 2})
    assert on_second == [rows["Clinic C"]]
    assert listed({"page": "x"})[1] == on_first
    # session, user, the second step's device; how many facilities; this page of them;
    # their rounds' count and latest opening; the deleted facilities they may restore;
    # the networks they lead; the partners they belong to
    assert len(second_queries) == len(first_queries) == 9
