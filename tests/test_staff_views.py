"""Facility staff pages: who may see and change what."""

import pytest
from django.urls import reverse

from readiness.models import Facility, Membership, Round
from tests.conftest import import_rows
from tests.pages import text_of


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def closed_round(facility, instrument):
    summary = import_rows(facility, "Old", [("p1", "nurse", "LEGAL-1", 4)])
    Round.objects.filter(pk=summary.round.pk).update(status=Round.Status.CLOSED)
    return Round.objects.get(pk=summary.round.pk)


def staff_urls(round_):
    slug = round_.facility.slug
    return [
        reverse("facility-detail", args=[slug]),
        reverse("round-dashboard", args=[slug, round_.pk]),
    ]


class TestAnonymous:
    def test_staff_pages_require_signing_in(self, open_round_, client):
        for url in [reverse("facility-list"), reverse("facility-create"), *staff_urls(open_round_)]:
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))

    def test_the_home_page_and_sign_in_are_public(self, db, client):
        assert client.get(reverse("home")).status_code == 200
        assert client.get(reverse("login")).status_code == 200


class TestIsolation:
    """One facility's staff can never see another's data."""

    def test_an_outsider_gets_404_everywhere(self, open_round_, other_facility, outsider, client):
        login(client, outsider)
        for url in staff_urls(open_round_):
            assert client.get(url).status_code == 404, url
        for name in ("round-close", "round-reopen"):
            url = reverse(name, args=[open_round_.facility.slug, open_round_.pk])
            assert client.post(url).status_code == 404
        assert (
            client.post(
                reverse("round-open", args=[open_round_.facility.slug]), {"label": "X"}
            ).status_code
            == 404
        )
        assert Round.objects.filter(facility=open_round_.facility).count() == 1
        assert Round.objects.get(pk=open_round_.pk).is_open

    def test_the_list_shows_only_the_users_facilities(
        self, facility, other_facility, owner, client
    ):
        html = login(client, owner).get(reverse("facility-list")).content.decode()
        assert facility.name in html
        assert other_facility.name not in html

    def test_a_round_is_not_reachable_through_another_facilitys_address(
        self, open_round_, other_facility, owner, client
    ):
        Membership.objects.create(user=owner, facility=other_facility, level="viewer")
        url = reverse("round-dashboard", args=[other_facility.slug, open_round_.pk])
        assert login(client, owner).get(url).status_code == 404


class TestFacilityPages:
    def test_creating_a_facility_makes_the_creator_its_owner(self, instrument, owner, client):
        response = login(client, owner).post(
            reverse("facility-create"),
            {
                "name": "Sunrise Clinic",
                "slug": "sunrise",
                "type": "free_clinic",
                "state": "IL",
                "setting": "rural",
            },
        )
        facility = Facility.objects.get(slug="sunrise")
        assert response["Location"] == facility.get_absolute_url()
        assert facility.memberships.get().user == owner
        assert facility.memberships.get().level == Membership.Level.OWNER

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"name": "", "slug": "a", "type": "fqhc", "state": "CA"}, "name"),
            ({"name": "A", "slug": "has space", "type": "fqhc", "state": "CA"}, "slug"),
            ({"name": "A", "slug": "mercy", "type": "fqhc", "state": "CA"}, "slug"),
            ({"name": "A", "slug": "a", "type": "spa", "state": "CA"}, "type"),
            ({"name": "A", "slug": "a", "type": "fqhc", "state": "XX"}, "state"),
            (
                {"name": "A", "slug": "a", "type": "fqhc", "state": "CA", "setting": "moon"},
                "setting",
            ),
        ],
    )
    def test_invalid_facilities_are_refused_with_a_message(
        self, facility, owner, client, data, field
    ):
        response = login(client, owner).post(reverse("facility-create"), data)
        assert response.status_code == 200
        assert field in response.context["form"].errors
        assert Facility.objects.count() == 1

    @pytest.mark.parametrize("slug", ["mercy", "new", "delete", "gone"])
    def test_a_taken_or_reserved_short_name_gets_one_answer_that_reveals_nothing(
        self, facility, owner, client, slug
    ):
        from django.utils import timezone

        assert facility.slug == "mercy"
        # a deleted facility, still restorable, keeps its short name
        Facility.objects.create(
            name="Gone", slug="gone", type="fqhc", state="CA", deleted_at=timezone.now()
        )
        data = {"name": "Another", "slug": slug, "type": "fqhc", "state": "CA"}
        response = login(client, owner).post(reverse("facility-create"), data)
        assert response.status_code == 200
        assert response.context["form"].errors["slug"] == [
            "This short name cannot be used. Choose another."
        ]
        assert Facility.objects.count() == 1  # the live ones: mercy

    def test_opening_a_round_gives_one_shareable_link(self, facility, instrument, owner, client):
        login(client, owner).post(reverse("round-open", args=[facility.slug]), {"label": "Fall"})
        round_ = Round.objects.get(label="Fall")
        assert round_.instrument == instrument and round_.is_open
        html = client.get(facility.get_absolute_url()).content.decode()
        assert round_.respondent_link() in html
        assert "Copy link" in html

    def test_a_duplicate_or_empty_round_name_is_refused(self, open_round_, owner, client):
        url = reverse("round-open", args=[open_round_.facility.slug])
        for label in ("Spring 2026", "", " " * 3, "x" * 81):
            response = login(client, owner).post(url, {"label": label})
            assert response.status_code == 200, label
            assert response.context["round_form"].errors, label
        assert Round.objects.count() == 1

    def test_closing_and_reopening_a_round(self, open_round_, owner, client):
        args = [open_round_.facility.slug, open_round_.pk]
        login(client, owner).post(reverse("round-close", args=args), {"confirm": "yes"})
        open_round_.refresh_from_db()
        assert not open_round_.is_open and open_round_.closed_on is not None
        client.post(reverse("round-reopen", args=args))
        open_round_.refresh_from_db()
        assert open_round_.is_open and open_round_.closed_on is None

    def test_a_viewer_may_read_but_not_change(self, open_round_, viewer, client):
        login(client, viewer)
        for url in staff_urls(open_round_):
            assert client.get(url).status_code == 200
        args = [open_round_.facility.slug, open_round_.pk]
        assert client.post(reverse("round-close", args=args)).status_code == 403
        assert (
            client.post(
                reverse("round-open", args=[open_round_.facility.slug]), {"label": "X"}
            ).status_code
            == 403
        )
        assert Round.objects.get(pk=open_round_.pk).is_open

    def test_changes_are_post_only(self, open_round_, owner, client):
        args = [open_round_.facility.slug, open_round_.pk]
        login(client, owner)
        assert client.get(reverse("round-close", args=args)).status_code == 405
        assert (
            client.get(reverse("round-open", args=[open_round_.facility.slug])).status_code == 405
        )
        assert Round.objects.get(pk=open_round_.pk).is_open


class TestRoundsAsPeopleUseThem:
    @pytest.mark.parametrize(
        ("name", "heading"),
        [
            ("round-close", "Close this round?"),
            ("round-link-replace", "Replace this round's link?"),
        ],
    )
    def test_closing_or_replacing_the_link_asks_first(
        self, open_round_, owner, client, name, heading
    ):
        args = [open_round_.facility.slug, open_round_.pk]
        link = open_round_.link_token
        response = login(client, owner).post(reverse(name, args=args))
        assert response.status_code == 200
        assert text_of(response.content.decode(), "confirm-round").startswith(open_round_.label)
        assert response.context["confirm"]["title"] == heading
        open_round_.refresh_from_db()
        assert open_round_.is_open and open_round_.link_token == link  # nothing happened yet
        assert client.post(reverse(name, args=args), {"confirm": "yes"}).status_code == 302
        open_round_.refresh_from_db()
        assert (
            (not open_round_.is_open) if name == "round-close" else open_round_.link_token != link
        )

    def test_rounds_are_listed_newest_first(self, facility, owner, instrument, client):
        from datetime import date

        from readiness.services.facilities import open_round

        for label, day in (("Old", date(2025, 3, 1)), ("New", date(2026, 3, 1))):
            round_ = open_round(facility=facility, label=label)
            Round.objects.filter(pk=round_.pk).update(opened_on=day, status="closed")
        rounds = login(client, owner).get(facility.get_absolute_url()).context["rounds"]
        assert [r.label for r in rounds] == ["New", "Old"]

    def test_one_round_is_open_at_a_time_unless_the_owners_choose_two(
        self, open_round_, owner, client
    ):
        url = reverse("round-open", args=[open_round_.facility.slug])
        response = login(client, owner).post(url, {"label": "Second campus"})
        assert response.status_code == 200
        assert response.context["round_form"].non_field_errors() == [
            f"\u201c{open_round_.label}\u201d is still open. Close it first, or choose to run "
            "the new round alongside it."
        ]
        assert not Round.objects.filter(label="Second campus").exists()
        assert (
            client.post(url, {"label": "Second campus", "alongside_open": "on"}).status_code == 302
        )
        assert Round.objects.get(label="Second campus").is_open
