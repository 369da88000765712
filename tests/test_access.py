"""Members, invitations, partner shares, the audit log, exports and deletion."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from readiness import disclosure
from readiness.comparison import forget as forget_standings
from readiness.models import (
    Answer,
    AuditEvent,
    Facility,
    Invitation,
    Membership,
    Partner,
    PartnerMembership,
    Respondent,
    Round,
    Share,
)
from readiness.services import access as access_services
from readiness.services.facilities import create_facility
from tests.clients import Client, audit_log, code_now, login, results_json, with_app
from tests.conftest import full_answers, import_rows, make_user, share_accepted
from tests.downloads import body_of, facility_answers
from tests.pages import elements as form_elements
from tests.pages import list_items, table, tags, text_of


def actions(facility=None):
    events = AuditEvent.objects.all() if facility is None else facility.audit_events.all()
    return list(events.order_by("id").values_list("action", flat=True))


def invited_user(username, email):
    user = make_user(username)
    user.email = email
    user.save()
    return user


class TestInvitations:
    def invite(self, facility, owner, email="nurse.lead@example.org", level="editor"):
        # the e-mail goes once the invitation is stored (the test's transaction stays open)
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = login(owner).post(
                reverse("member-invite", args=[facility.slug]), {"email": email, "level": level}
            )
        assert response.status_code == 302
        link = re.search(r"http\S+/invitations/(\S+)/", mail.outbox[-1].body)
        return link.group(1)

    def test_pending_invitations_are_those_that_can_still_be_accepted(self, facility, owner):
        now = timezone.now()
        states = {
            "pending": {},
            "accepted": {"accepted_at": now},
            "revoked": {"revoked_at": now},
            "expired": {"expires_at": now - timedelta(seconds=1)},
        }
        for name, fields in states.items():
            Invitation.objects.create(
                facility=facility,
                email=f"{name}@example.org",
                level="viewer",
                token_hash=name,
                expires_at=fields.pop("expires_at", now + timedelta(days=1)),
                **fields,
            )
        pending = Invitation.objects.pending()
        assert [i.email for i in pending] == ["pending@example.org"]
        assert {i.email for i in Invitation.objects.all() if i.is_pending} == {
            "pending@example.org"
        }

    def test_the_email_goes_only_once_the_invitation_is_stored(self, facility, owner):
        with TestCase.captureOnCommitCallbacks(execute=False) as waiting:
            access_services.invite_member(
                facility=facility, email="a@example.org", level="viewer", by=owner
            )
            assert mail.outbox == []
        assert len(waiting) == 1 and mail.outbox == []  # not sent: no commit happened
        waiting[0]()
        assert mail.outbox[-1].to == ["a@example.org"]

    def test_an_invitation_by_email_makes_a_new_member(self, facility, owner):
        token = self.invite(facility, owner)
        assert mail.outbox[-1].to == ["nurse.lead@example.org"]
        # without SITE_ROOT (a developer's machine), the address the request came to
        assert f"http://testserver/invitations/{token}/" in mail.outbox[-1].body
        client = Client()
        response = client.post(
            reverse("invitation-accept", args=[token]),
            {"password1": "a long passphrase 42", "password2": "a long passphrase 42"},
        )
        assert response["Location"] == facility.get_absolute_url()
        # the invited address is the new account's username: nobody picks one
        membership = Membership.objects.get(user__username="nurse.lead@example.org")
        assert membership.level == "editor"
        assert client.get(facility.get_absolute_url()).status_code == 200
        assert actions(facility) == ["member_invited", "member_joined"]

    def test_an_invitation_works_once(self, facility, owner):
        token = self.invite(facility, owner)
        someone = invited_user("someone", "Nurse.Lead@example.org")  # case does not matter
        assert login(someone).post(reverse("invitation-accept", args=[token])).status_code == 302
        other = invited_user("other", "nurse.lead@example.org")
        response = login(other).post(reverse("invitation-accept", args=[token]))
        assert response.status_code == 410
        assert not Membership.objects.filter(user=other).exists()

    def test_only_the_invited_address_can_accept(self, facility, owner):
        """The review's attack: anyone holding a forwarded link, signed in as themselves,
        became an editor."""
        token = self.invite(facility, owner)
        intruder = invited_user("intruder", "intruder@example.org")
        client = login(intruder)
        page = client.get(reverse("invitation-accept", args=[token])).content.decode()
        assert text_of(page, "accounts") == (
            "You are signed in as intruder (intruder@example.org). "
            "This invitation was sent to nurse.lead@example.org."
        )
        assert text_of(page, "someone-else")
        response = client.post(reverse("invitation-accept", args=[token]))
        assert response.status_code == 403
        assert not Membership.objects.filter(user=intruder).exists()
        assert Invitation.objects.get().is_pending  # still there for the right person
        # signing up through the link gives the account the invited address, whatever
        # address the form is sent with
        response = Client().post(
            reverse("invitation-accept", args=[token]),
            {
                "username": "intruder",
                "email": "intruder@example.org",
                "password1": "a long passphrase 42",
                "password2": "a long passphrase 42",
            },
        )
        assert response.status_code == 302
        joined = Membership.objects.exclude(user=owner).get(facility=facility).user
        assert (joined.username, joined.email) == ("nurse.lead@example.org",) * 2

    def test_signing_up_reveals_no_username(self, facility, owner):
        """Nobody chooses a username, so no answer can say that one is taken."""
        token = self.invite(facility, owner)
        page = Client().get(reverse("invitation-accept", args=[token])).content.decode()
        form = form_elements(page, "signup-form")
        names = {field["name"] for tag, field in form if tag == "input" and "name" in field}
        assert names == {"csrfmiddlewaretoken", "email", "password1", "password2"}

    def test_an_address_that_passes_for_another_is_not_invited(self, facility, owner):
        response = login(owner).post(
            reverse("member-invite", args=[facility.slug]),
            {"email": "nurse@exаmple.org", "level": "viewer"},  # a Cyrillic "а"
        )
        assert response.status_code == 200
        assert text_of(response.content.decode(), "error_1_id_email") == (
            "Use letters from one alphabet only: this address could pass for another."
        )
        assert not Invitation.objects.exists()

    def test_an_address_longer_than_a_username_is_not_invited(self, facility, owner):
        email = "n" * 140 + "@example.org"  # 152 characters
        response = login(owner).post(
            reverse("member-invite", args=[facility.slug]), {"email": email, "level": "viewer"}
        )
        assert response.status_code == 200
        assert text_of(response.content.decode(), "error_1_id_email").startswith(
            "Ensure this value has at most 150 characters"
        )
        assert not Invitation.objects.exists()

    def test_one_address_in_another_case_is_one_account(self, facility, owner):
        """The holder of the link sent to an address with an account learns only that
        their own address has one."""
        lead = invited_user("nurse.lead@example.org", "nurse.lead@example.org")
        token = self.invite(facility, owner, email="Nurse.Lead@Example.org")
        response = Client().post(
            reverse("invitation-accept", args=[token]),
            {"password1": "a long passphrase 42", "password2": "a long passphrase 42"},
        )
        assert response.status_code == 200
        assert (
            text_of(response.content.decode(), "main").count(
                "An account with this e-mail address exists already."
            )
            == 1
        )
        assert list(Membership.objects.filter(facility=facility).exclude(user=owner)) == []
        assert login(lead).post(reverse("invitation-accept", args=[token])).status_code == 302

    def test_an_expired_or_withdrawn_invitation_is_refused(self, facility, owner):
        token = self.invite(facility, owner)
        Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
        someone = invited_user("someone", "nurse.lead@example.org")
        response = login(someone).post(reverse("invitation-accept", args=[token]))
        assert response.status_code == 410
        assert "expired" in text_of(response.content.decode(), "main")
        someone.email = "b@example.org"
        someone.save()
        token = self.invite(facility, owner, email="b@example.org")
        invitation = Invitation.objects.get(email="b@example.org")
        login(owner).post(reverse("invitation-revoke", args=[facility.slug, invitation.pk]))
        assert login(someone).post(reverse("invitation-accept", args=[token])).status_code == 410
        assert not Membership.objects.filter(user=someone).exists()

    def test_a_person_can_belong_to_several_facilities(self, facility, other_facility, owner):
        Membership.objects.create(user=owner, facility=other_facility, level="viewer")
        html = login(owner).get(reverse("facility-list")).content.decode()
        assert facility.name in html and other_facility.name in html

    def test_the_last_owner_cannot_be_removed_or_demoted(self, facility, owner):
        membership = Membership.objects.get(user=owner)
        client = login(owner)
        client.post(
            reverse("member-level", args=[facility.slug, membership.pk]), {"level": "viewer"}
        )
        client.post(reverse("member-remove", args=[facility.slug, membership.pk]))
        assert Membership.objects.get(pk=membership.pk).level == "owner"

    def test_owners_see_who_has_access_and_since_when(self, facility, owner, viewer):
        html = login(owner).get(reverse("facility-members", args=[facility.slug])).content.decode()
        rows = table(html, "members-table")
        since = timezone.localdate().strftime("%b %-d, %Y")
        assert rows["viewer"][:2] == ["Viewer", since]
        assert rows["owner"][:2] == ["Owner", since]
        assert set(rows) == {"Person", "owner", "viewer"}  # the header, and each member
        viewer_row = Membership.objects.get(user=viewer)
        select = form_elements(html, f"level-{viewer_row.pk}-level")
        assert select[0][1]["name"] == "level"
        assert [a["value"] for t, a in select if t == "option" and "selected" in a] == ["viewer"]


@pytest.fixture
def advocates(facility, owner):
    partner = Partner.objects.create(name="Immigrant Health Advocates", slug="advocates")
    member = make_user("advocate")
    PartnerMembership.objects.create(user=member, partner=partner)
    return partner, member


def scored_round(facility, instrument, label, roles=("nurse", "physician", "security")):
    rows = []
    for n, role in enumerate(roles * 3):
        rows += full_answers(
            instrument, f"{label}{n}", role, lambda item, n=n: 1 + (n + item.pk) % 5
        )
    return import_rows(facility, label, rows).round


class TestOffers:
    """The review's attack: any owner pushed any facility, under any name, into any
    partner's portfolio, and saw the list of every partner organisation."""

    def offer(self, facility, owner, code, **fields):
        data = {"partner_code": code, "all_rounds": "on", "include_strategies": "on", **fields}
        return login(owner).post(reverse("share-create", args=[facility.slug]), data)

    def test_a_partner_is_found_only_by_its_code_and_sees_nothing_until_it_accepts(
        self, facility, owner, instrument, advocates
    ):
        partner, member = advocates
        round_ = scored_round(facility, instrument, "R1")
        page = login(owner).get(reverse("facility-members", args=[facility.slug]))
        html = page.content.decode()
        assert not [e for e in tags(html, "select") if e.get("name") == "partner"]
        assert partner.name not in text_of(html, "main")  # no list of partners
        wrong = self.offer(facility, owner, "2" * 12)
        assert wrong.status_code == 200
        assert wrong.context["share_form"].errors["partner_code"] == [
            "No partner organisation has this code. Check it with the partner."
        ]
        assert not Share.objects.exists()
        # typed as the partner shows it, in capitals
        assert self.offer(facility, owner, partner.grouped_share_code.upper()).status_code == 302
        (share,) = Share.objects.all()
        assert share.accepted_at is None
        client = login(member)
        assert client.get(round_.get_absolute_url()).status_code == 404
        portfolio = client.get(partner.get_absolute_url()).content.decode()
        (offer,) = list_items(portfolio, "offers")
        assert offer.startswith("Mercy Clinic, ")
        assert "not verified: nobody has checked that this is a real facility" in offer
        assert "same name" not in offer
        response = client.post(reverse("partner-offer-accept", args=[partner.slug, share.pk]))
        assert response.status_code == 302
        assert client.get(round_.get_absolute_url()).status_code == 200
        assert actions(facility)[-2:] == ["share_granted", "share_accepted"]
        # new terms for a partner that accepted take effect at once
        self.offer(facility, owner, partner.share_code)
        assert client.get(round_.get_absolute_url()).status_code == 200

    def test_a_declined_offer_shows_nothing_and_another_partner_cannot_answer_it(
        self, facility, owner, instrument, advocates
    ):
        partner, member = advocates
        round_ = scored_round(facility, instrument, "R1")
        self.offer(facility, owner, partner.share_code)
        share = Share.objects.get()
        other = Partner.objects.create(name="Other", slug="other")
        stranger = make_user("stranger")
        PartnerMembership.objects.create(user=stranger, partner=other)

        def answer(client, name, slug):
            return client.post(reverse(name, args=[slug, share.pk])).status_code

        for name in ("partner-offer-accept", "partner-offer-decline"):
            assert answer(login(stranger), name, other.slug) == 404
            assert answer(login(stranger), name, partner.slug) == 404
        client = login(member)
        assert answer(client, "partner-offer-decline", partner.slug) == 302
        assert client.get(round_.get_absolute_url()).status_code == 404
        assert answer(client, "partner-offer-accept", partner.slug) == 404
        assert actions(facility)[-1] == "share_declined"

    def test_an_offer_under_a_name_the_partner_already_sees_is_flagged(
        self, facility, owner, advocates, outsider
    ):
        partner, member = advocates
        share_accepted(facility=facility, partner=partner, include_roles=False, by=owner)
        fake = create_facility(
            name="MERCY CLINIC", slug="fake-mercy", type="fqhc", state="CA", owner=outsider
        )
        self.offer(fake, outsider, partner.share_code)
        (offer,) = list_items(
            login(member).get(partner.get_absolute_url()).content.decode(), "offers"
        )
        assert "Another facility you see or are offered has the same name." in offer


class TestSharing:
    def test_a_partner_sees_the_shared_dashboard_read_only(
        self, facility, owner, instrument, advocates
    ):
        partner, member = advocates
        round_ = scored_round(facility, instrument, "R1")
        client = login(member)
        url = round_.get_absolute_url()
        assert client.get(url).status_code == 404  # nothing shared yet
        share_accepted(
            facility=facility,
            partner=partner,
            include_strategies=False,
            include_roles=False,
            by=owner,
        )
        html = client.get(url).content.decode()
        assert text_of(html, "overall-score")
        for hidden in (
            "strategies-heading",
            "focus-strategies",
            "roles-heading",
            "coverage-heading",
        ):
            assert text_of(html, hidden) == "", hidden
        assert text_of(html, "focus-list")  # where to act first, without strategies
        detail = client.get(facility.get_absolute_url()).content.decode()
        assert round_.link_token not in detail  # partners never get the respondents' link

    def test_without_results_by_role_the_json_holds_no_statement_by_role(
        self, facility, owner, instrument, advocates
    ):
        """With roles shown, what people answered to each statement is given by role
        only: a partner not shared results by role gets none of it."""
        partner, member = advocates
        round_ = scored_round(facility, instrument, "R1")
        share_accepted(facility=facility, partner=partner, include_roles=False, by=owner)
        owners = results_json(login(owner), round_)
        assert {s["role"] for s in owners["statements"]} == {"nurse", "physician", "security"}
        # the owners' results by role, to two decimals as every score in the file
        cells = {
            row.role.code: {code: round(score, 2) for code, score in row.cells.items()}
            for row in disclosure.released_scores(round_, scope=disclosure.Scope.everything()).roles
        }
        shown = {role: row["determinants"] for role, row in owners["roles"].items()}
        assert {role: figures for role, figures in shown.items() if figures} == cells
        assert any(score != round(score, 1) for row in cells.values() for score in row.values())
        partners = results_json(login(member), round_)
        assert (partners["roles"], partners["roles_suppressed"]) == (None, "not_shared")
        assert partners["statements"] == []
        assert partners["determinants"] == owners["determinants"]

    def test_strategies_and_roles_only_when_ticked(self, facility, owner, instrument, advocates):
        partner, member = advocates
        round_ = scored_round(facility, instrument, "R1")
        share_accepted(facility=facility, partner=partner, by=owner)
        html = login(member).get(round_.get_absolute_url()).content.decode()
        assert text_of(html, "strategies-heading") == "All recommended strategies"
        assert text_of(html, "focus-strategies")
        assert text_of(html, "roles-heading") == "Results by role"

    def test_a_share_opens_only_its_own_facility(
        self, facility, other_facility, owner, outsider, instrument, advocates
    ):
        partner, member = advocates
        shared = scored_round(facility, instrument, "R1")
        elsewhere = scored_round(other_facility, instrument, "R1")
        share_accepted(facility=facility, partner=partner, by=owner)
        client = login(member)
        assert client.get(shared.get_absolute_url()).status_code == 200
        assert client.get(elsewhere.get_absolute_url()).status_code == 404
        assert client.get(other_facility.get_absolute_url()).status_code == 404

    def test_a_partners_dashboard_costs_the_same_queries_whatever_the_share(
        self, facility, owner, instrument, advocates
    ):
        """Shown again (kept): session, user, the second step's device, no membership, no
        network led, the share with its facility, the round, live counts, the release; a
        share of chosen rounds adds the one query that lists them."""
        partner, member = advocates
        round_ = scored_round(facility, instrument, "R1")
        client = login(member)
        counts = {}
        for all_rounds in (True, False):
            share = share_accepted(
                facility=facility,
                partner=partner,
                rounds=None if all_rounds else [round_],
                by=owner,
            )
            client.get(round_.get_absolute_url())  # made and kept
            with CaptureQueriesContext(connection) as queries:
                assert client.get(round_.get_absolute_url()).status_code == 200
            counts[all_rounds] = len(queries)
            Share.objects.filter(pk=share.pk).update(revoked_at=timezone.now())
        assert counts == {True: 9, False: 10}

    @pytest.mark.parametrize("roles, strategies", [(True, False), (False, True)])
    def test_roles_and_strategies_follow_their_own_tick(
        self, facility, owner, instrument, advocates, roles, strategies
    ):
        partner, member = advocates
        round_ = scored_round(facility, instrument, "R1")
        share_accepted(
            facility=facility,
            partner=partner,
            include_strategies=strategies,
            include_roles=roles,
            by=owner,
        )
        html = login(member).get(round_.get_absolute_url()).content.decode()
        assert bool(text_of(html, "roles-heading")) == roles
        assert bool(text_of(html, "coverage-heading")) == roles
        assert bool(text_of(html, "strategies-heading")) == strategies

    @pytest.mark.parametrize("fuller", ["include_roles", "include_strategies", "all_rounds"])
    def test_someone_in_two_partners_gets_the_fuller_share(
        self, facility, owner, instrument, advocates, fuller
    ):
        """Each partner's share is theirs to see: a member of both sees what the fuller
        one allows. The shares differ in one thing each time, and the lesser one is
        made first."""
        partner, member = advocates
        earlier = scored_round(facility, instrument, "R0")
        Round.objects.filter(pk=earlier.pk).update(opened_on="2025-01-01")
        round_ = scored_round(facility, instrument, "R1")
        other = Partner.objects.create(name="Clinic Coalition", slug="coalition")
        PartnerMembership.objects.create(user=member, partner=other)
        lesser = {"include_roles": False, "include_strategies": False, "all_rounds": False}
        for sharing, grants in ((partner, lesser), (other, lesser | {fuller: True})):
            share_accepted(
                facility=facility,
                partner=sharing,
                rounds=None if grants["all_rounds"] else [round_],
                include_strategies=grants["include_strategies"],
                include_roles=grants["include_roles"],
                by=owner,
            )
        client = login(member)
        html = client.get(round_.get_absolute_url()).content.decode()
        assert bool(text_of(html, "roles-heading")) == (fuller == "include_roles")
        assert bool(text_of(html, "strategies-heading")) == (fuller == "include_strategies")
        earlier_status = client.get(earlier.get_absolute_url()).status_code
        assert earlier_status == (200 if fuller == "all_rounds" else 404)

    def test_only_chosen_rounds_are_visible_and_no_comparison_leaks(
        self, facility, owner, instrument, advocates
    ):
        partner, member = advocates
        first = scored_round(facility, instrument, "R1")
        Round.objects.filter(pk=first.pk).update(opened_on="2025-01-01")
        second = scored_round(facility, instrument, "R2")
        share_accepted(
            facility=facility, partner=partner, rounds=[second], include_roles=False, by=owner
        )
        client = login(member)
        assert client.get(first.get_absolute_url()).status_code == 404
        response = client.get(second.get_absolute_url())
        assert response.status_code == 200
        html = response.content.decode()
        assert text_of(html, "overall-score")
        assert "Changes are since" not in html
        listed = client.get(facility.get_absolute_url()).context["rounds"]
        assert [round_.label for round_ in listed] == ["R2"]

    def test_revoking_takes_effect_on_the_next_request(
        self, facility, owner, instrument, advocates
    ):
        partner, member = advocates
        round_ = scored_round(facility, instrument, "R1")
        share = share_accepted(facility=facility, partner=partner, include_roles=False, by=owner)
        client = login(member)
        assert client.get(round_.get_absolute_url()).status_code == 200
        login(owner).post(reverse("share-revoke", args=[facility.slug, share.pk]))
        assert client.get(round_.get_absolute_url()).status_code == 404
        assert facility.name not in client.get(partner.get_absolute_url()).content.decode()
        assert actions(facility)[-3:] == ["share_granted", "share_accepted", "share_revoked"]

    def test_an_expired_share_ends_by_itself(self, facility, owner, instrument, advocates):
        partner, member = advocates
        round_ = scored_round(facility, instrument, "R1")
        share_accepted(
            facility=facility,
            partner=partner,
            include_roles=False,
            by=owner,
            expires_on=timezone.localdate(),
        )
        client = login(member)
        assert client.get(round_.get_absolute_url()).status_code == 200
        Share.objects.update(expires_on=timezone.localdate() - timedelta(days=1))
        assert client.get(round_.get_absolute_url()).status_code == 404

    def test_a_share_form_with_bad_input_changes_nothing(self, facility, owner, advocates):
        partner, _ = advocates
        client = login(owner)
        url = reverse("share-create", args=[facility.slug])
        for data in (
            {"partner": partner.pk},  # neither all rounds nor chosen ones
            {"partner": 999999, "all_rounds": "on"},
            {"partner": partner.pk, "all_rounds": "on", "expires_on": "yesterday"},
            {"partner": partner.pk, "all_rounds": "on", "expires_on": "2000-01-01"},
        ):
            assert client.post(url, data).status_code == 200, data
        assert not Share.objects.exists()

    def test_the_portfolio_lists_sharing_facilities_side_by_side(
        self,
        facility,
        other_facility,
        owner,
        outsider,
        instrument,
        advocates,
        django_assert_max_num_queries,
    ):
        partner, member = advocates
        scored_round(facility, instrument, "R1")
        scored_round(other_facility, instrument, "Other R1")
        share_accepted(
            facility=facility,
            partner=partner,
            include_strategies=False,
            include_roles=False,
            by=owner,
        )
        client = login(member)
        html = client.get(partner.get_absolute_url()).content.decode()
        assert facility.name in html and other_facility.name not in html
        assert 'id="portfolio-figure"' in html
        # query count does not grow with facilities (each view made afresh, as in a new
        # process, which reads every standing once: readiness/comparison/)
        cache.clear()
        forget_standings()
        with django_assert_max_num_queries(20) as small:
            client.get(partner.get_absolute_url())
        for n in range(4):
            extra = Facility.objects.create(
                name=f"Extra {n}", slug=f"extra-{n}", type="fqhc", state="IL"
            )
            scored_round(extra, instrument, f"X{n}")
            share_accepted(
                facility=extra,
                partner=partner,
                include_strategies=False,
                include_roles=False,
                by=outsider,
            )
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        cache.clear()
        forget_standings()
        with CaptureQueriesContext(connection) as large:
            html = client.get(partner.get_absolute_url()).content.decode()
        assert "Extra 3" in html
        # session, user, the second step's device, the partner, its shares, the offers,
        # the sharing facilities with their standings' versions, the standings
        assert len(large) == len(small) == 8
        # shown again while nothing it shows changed: the last two are not needed
        with CaptureQueriesContext(connection) as again:
            shown = client.get(partner.get_absolute_url()).content.decode()
        assert text_of(shown, "portfolio-table") == text_of(html, "portfolio-table")
        assert len(again) == 6


class TestAudit:
    def test_round_changes_exports_and_sign_ins_are_recorded(self, facility, owner, instrument):
        client = Client()
        app = with_app(owner)
        client.post(reverse("login"), {"username": "owner", "password": "pw-owner"})
        client.post(reverse("two-factor-verify"), {"code": code_now(app)})
        client.post(reverse("round-open", args=[facility.slug]), {"label": "R"})
        round_ = Round.objects.get(label="R")
        client.post(reverse("round-close", args=[facility.slug, round_.pk]), {"confirm": "yes"})
        client.post(
            reverse("round-link-replace", args=[facility.slug, round_.pk]), {"confirm": "yes"}
        )
        facility_answers(client, facility.slug, "csv")
        assert actions() == [
            "signed_in",
            "round_opened",
            "round_closed",
            "link_regenerated",
            "download_prepared",
            "exported",
        ]
        # newest first: what each row of the owner's audit page says was done
        assert [what for _when, _who, what, _details in audit_log(client, facility.slug)] == [
            "Data downloaded",
            "Download prepared",
            "Round link replaced",
            "Round closed",
            "Round opened",
            "Signed in",
        ]
        assert AuditEvent.objects.filter(username="owner").count() == 6


class TestExportAndDeletion:
    def test_csv_export_has_every_answer_and_neutralises_formulas(
        self, facility, owner, instrument
    ):
        import_rows(
            facility,
            "=HYPERLINK(1)",
            [
                ("+p1", "nurse", "LEGAL-1", 4),
                ("+p1", "nurse", "LEGAL-2", "DK"),
                ("p2", "legal", "LEGAL-1", 3),
                ("p3", "security", "LEGAL-1", 5),
            ],
        )
        response = facility_answers(login(owner), facility.slug, "csv")
        assert response.streaming
        text = b"".join(response.streaming_content).decode()
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == [
            "round",
            "respondent",
            "role",
            "status",
            "opened_on",
            "closed_on",
            "item",
            "value",
        ]
        assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(1)"] * 4
        # fresh random ids, never the imported ones (tests/test_exports.py)
        assert len({r[1] for r in rows[1:]}) == 3 and "'+p1" not in {r[1] for r in rows[1:]}
        # three roles of one person each are merged into "small roles"
        assert {r[2] for r in rows[1:]} == {"small roles"}
        assert sorted((r[6], r[7]) for r in rows[1:]) == [
            ("LEGAL-1", "3"),
            ("LEGAL-1", "4"),
            ("LEGAL-1", "5"),
            ("LEGAL-2", "DK"),
        ]
        assert "attachment" in response["Content-Disposition"]

    def test_json_export_is_everything_the_facility_stored(self, facility, owner, instrument):
        import_rows(facility, "R", [("p1", "nurse", "LEGAL-1", 4), ("p2", "legal", "EVAL-1", "NA")])
        client = login(owner)
        published = json.loads(body_of(facility_answers(client, facility.slug, "json")))
        assert published["respondents"] == []  # two people: nothing is published
        # with everyone asked for, two people in "small roles" would be a group of two
        everyone = json.loads(
            body_of(facility_answers(client, facility.slug, "json", unfinished="on"))
        )
        assert everyone["respondents"] == []
        import_rows(facility, "R", [("p3", "security", "EVAL-1", "2")])
        data = json.loads(body_of(facility_answers(client, facility.slug, "json")))
        assert data["facility"]["slug"] == "mercy"
        assert [r["label"] for r in data["rounds"]] == ["R"]
        # random ids and order, small roles merged (tests/test_exports.py)
        respondents = sorted(data["respondents"], key=lambda r: r["answers"][0]["value"])
        assert [(r["role"], r["answers"]) for r in respondents] == [
            ("small roles", [{"item": "EVAL-1", "value": "2"}]),
            ("small roles", [{"item": "LEGAL-1", "value": "4"}]),
            ("small roles", [{"item": "EVAL-1", "value": "NA"}]),
        ]
        assert not {r["respondent"] for r in data["respondents"]} & {"p1", "p2", "p3"}

    def test_deleting_a_round_needs_its_name_typed(self, facility, owner, instrument):
        round_ = scored_round(facility, instrument, "Spring")
        client = login(owner)
        url = reverse("round-delete", args=[facility.slug, round_.pk])
        response = client.post(url, {"confirm": "spring"})
        assert response.status_code == 200 and "Nothing was deleted" in response.content.decode()
        assert Round.objects.filter(pk=round_.pk).exists()
        client.post(url, {"confirm": "Spring"})
        assert not Round.objects.filter(pk=round_.pk).exists()
        assert not Answer.objects.exists() and not Respondent.objects.exists()
        assert "round_deleted" in actions(facility)

    def test_a_deleted_facility_disappears_for_everyone_at_once(
        self, facility, owner, viewer, instrument, advocates, network, leader
    ):
        round_ = scored_round(facility, instrument, "R")
        Facility.objects.filter(pk=facility.pk).update(network=network)
        partner, member = advocates
        share_accepted(facility=facility, partner=partner, include_roles=False, by=owner)
        live = Round.objects.create(facility=facility, instrument=instrument, label="Open")
        started = Client().post(live.respondent_link(), {"role": "nurse"})
        assert started.status_code in (200, 302)
        client = login(owner)
        invited = access_services.invite_member(
            facility=facility, email="new.owner@example.org", level="owner", by=owner
        )
        client.post(reverse("facility-delete", args=[facility.slug]), {"confirm": "Mercy Clinic"})
        # the review's attack: an invitation sent before, used to take the facility back
        join = reverse("invitation-accept", args=[invited.token])
        assert Client().get(join).status_code == 404
        signing_up = {"password1": "a long passphrase 42", "password2": "a long passphrase 42"}
        assert Client().post(join, signing_up).status_code == 404
        assert not Membership.objects.filter(user__username="new.owner@example.org").exists()
        # someone made owner after the deletion cannot restore it either
        late = make_user("late")
        Membership.objects.create(user=late, facility_id=facility.pk, level="owner")
        restore = reverse("facility-restore", args=[facility.slug])
        assert login(late).post(restore).status_code == 404
        for user in (owner, viewer, member, leader):
            assert login(user).get(round_.get_absolute_url()).status_code == 404, user
        assert login(member).get(partner.get_absolute_url()).status_code == 200
        assert not Share.objects.active().exists()
        assert Client().get(live.respondent_link()).status_code == 404
        assert Client().get(live.short_link()).status_code == 404
        comparison = login(leader).get(network.get_absolute_url()).content.decode()
        assert "Mercy Clinic" not in text_of(comparison, "main")
        # the owner, and only an owner, is offered to restore it
        assert list_items(client.get(reverse("facility-list")).content.decode(), "restorable")
        viewer_list = login(viewer).get(reverse("facility-list")).content.decode()
        assert list_items(viewer_list, "restorable") == []
        assert login(viewer).post(restore).status_code == 404
        assert client.post(restore).status_code == 302
        assert login(viewer).get(round_.get_absolute_url()).status_code == 200
        assert Client().get(live.respondent_link()).status_code == 200
        assert actions(facility)[-2:] == ["facility_deleted", "facility_restored"]

    def test_after_thirty_days_a_deleted_facility_is_removed_for_good(
        self, facility, other_facility, owner, instrument
    ):
        from datetime import timedelta

        from django.core.management import call_command

        scored_round(facility, instrument, "R")
        scored_round(other_facility, instrument, "Kept")
        client = login(owner)
        client.post(reverse("facility-delete", args=[facility.slug]), {"confirm": "Mercy Clinic"})
        out = io.StringIO()
        call_command("purge_deleted_facilities", stdout=out)
        assert Facility.all_objects.filter(slug="mercy").exists()  # still restorable
        Facility.all_objects.filter(slug="mercy").update(
            deleted_at=timezone.now() - timedelta(days=31)
        )
        assert client.post(reverse("facility-restore", args=[facility.slug])).status_code == 404
        call_command("purge_deleted_facilities", stdout=out)
        assert "Removed Mercy Clinic" in out.getvalue()
        assert not Facility.all_objects.filter(slug="mercy").exists()
        assert set(Respondent.objects.values_list("round__label", flat=True)) == {"Kept"}
        deleted = AuditEvent.objects.filter(action="facility_deleted").order_by("pk")
        assert [e.detail["facility_name"] for e in deleted] == ["Mercy Clinic"] * 2
        assert deleted.last().detail["purged"] is True


def test_a_password_reset_email_carries_a_working_link(owner):
    owner.email = "owner@example.org"
    owner.save()
    client = Client()
    client.post(reverse("password_reset"), {"email": "owner@example.org"})
    link = re.search(r"http://\S+(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    client.post(
        form.redirect_chain[-1][0],
        {
            "new_password1": "a fresh long passphrase 7",
            "new_password2": "a fresh long passphrase 7",
        },
    )
    response = Client().post(
        reverse("login"), {"username": "owner", "password": "a fresh long passphrase 7"}
    )
    assert response.status_code == 302


# Every page starts with the session, the user and the second step's device, then the
# membership that gives access (permissions.facility_access); then its own queries.
OWNER_PAGE_QUERIES = {
    # members; pending invitations; live shares; their chosen rounds (prefetched)
    "facility-members": 8,
    # the audit log's page of events
    "facility-audit": 5,
    # is a round open; the rounds; the intervention catalogue (for opening a round)
    "facility-detail": 7,
}


@pytest.mark.parametrize("page", sorted(OWNER_PAGE_QUERIES))
def test_owner_pages_keep_their_query_count_as_data_grows(page, facility, owner, instrument):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(owner)
    url = reverse(page, args=[facility.slug])

    def grow(n):
        for i in range(n):
            user = make_user(f"{page}-{n}-{i}")
            Membership.objects.create(user=user, facility=facility, level="viewer")
            client.post(reverse("round-open", args=[facility.slug]), {"label": f"{n}-{i}"})
            client.post(
                reverse("member-invite", args=[facility.slug]),
                {"email": f"{n}-{i}@example.org", "level": "viewer"},
            )

    grow(2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    grow(6)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small) == OWNER_PAGE_QUERIES[page]
