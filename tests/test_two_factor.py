"""Two-step sign-in: a code from an authenticator app after the password, recovery codes,
and who must use it (readiness/services/two_factor.py). These tests sign in through the
pages with Django's own client, not tests/clients.py."""

import re
import time

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from readiness.models import AuditEvent, Membership
from readiness.services import two_factor
from tests.clients import Client as SignedInClient
from tests.clients import code_now, with_app
from tests.conftest import make_partner, make_user
from tests.pages import list_items, tags, text_of


def sign_in(client, username="owner", password=None, **extra):
    return client.post(
        reverse("login"),
        {"username": username, "password": password or f"pw-{username}", **extra},
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def type_code(client, code, **extra):
    return client.post(reverse("two-factor-verify"), {"code": code}, **extra)


def error_of(response) -> str:
    return text_of(response.content.decode(), "error_1_id_code")


@pytest.fixture
def app(owner):
    return with_app(owner)


class TestSigningIn:
    def test_the_password_alone_does_not_sign_in_an_account_with_an_app(self, facility, app):
        client = Client()
        response = sign_in(client, next=facility.get_absolute_url())
        assert response["Location"] == reverse("two-factor-verify")
        assert not signed_in(client)
        page = client.get(facility.get_absolute_url())
        assert page.status_code == 302 and page["Location"].startswith(reverse("login"))

    def test_the_code_from_the_app_signs_in_and_goes_where_the_person_was_going(
        self, facility, app
    ):
        client = Client()
        sign_in(client, next=facility.get_absolute_url())
        response = type_code(client, code_now(app)[:3] + " " + code_now(app)[3:])
        assert response["Location"] == facility.get_absolute_url()
        assert signed_in(client)
        assert client.get(facility.get_absolute_url()).status_code == 200
        assert AuditEvent.objects.filter(action=AuditEvent.Action.SIGNED_IN).count() == 1

    def test_a_code_from_the_app_works_once(self, facility, app):
        code = code_now(app)
        first = Client()
        sign_in(first)
        type_code(first, code)
        assert signed_in(first)
        second = Client()
        sign_in(second)
        response = type_code(second, code)
        assert not signed_in(second)
        assert error_of(response) == "That code is not right. Check it and try again."

    def test_a_wrong_code_makes_the_next_try_wait(self, facility, app):
        client = Client()
        sign_in(client)
        assert error_of(type_code(client, "000000" if code_now(app) != "000000" else "111111"))
        # the right code, at once: refused without being checked
        response = type_code(client, code_now(app))
        assert not signed_in(client)
        assert error_of(response) == "Too many wrong codes. Wait a few seconds, then try again."

    def test_wrong_codes_never_lock_the_owner_out_for_long(self, facility, app):
        """django-otp alone would make the 40th wrong code wait 2**39 seconds."""
        from datetime import timedelta

        from django.utils import timezone

        TOTPDevice.objects.filter(pk=app.pk).update(
            throttling_failure_count=40,
            throttling_failure_timestamp=timezone.now() - timedelta(minutes=9),
        )
        client = Client()
        sign_in(client)
        type_code(client, code_now(app))
        assert signed_in(client)

    def test_after_five_wrong_codes_the_password_is_asked_for_again(self, facility, app, settings):
        settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no waiting between tries, for the test
        client = Client()
        sign_in(client)
        wrong = f"{(int(code_now(app)) + 1) % 1_000_000:06d}"
        for _ in range(settings.TWO_FACTOR_CODE_ATTEMPTS - 1):
            assert type_code(client, wrong).status_code == 200
        response = type_code(client, wrong)
        assert response["Location"] == reverse("login")
        # the right code is no use now: the password step must be passed again
        assert type_code(client, code_now(app))["Location"] == reverse("login")
        assert not signed_in(client)
        failures = AuditEvent.objects.filter(action=AuditEvent.Action.SIGN_IN_FAILED)
        assert failures.count() == settings.TWO_FACTOR_CODE_ATTEMPTS
        assert {e.facility for e in failures} == {facility}

    def test_wrong_codes_count_against_the_address(self, facility, app, settings):
        settings.OTP_TOTP_THROTTLE_FACTOR = 0
        settings.SIGN_IN_FAILURES_PER_ADDRESS = "2/h"
        client = Client()
        sign_in(client, REMOTE_ADDR="10.1.1.1")
        for _ in range(2):
            wrong = "123456" if code_now(app) != "123456" else "654321"
            type_code(client, wrong, REMOTE_ADDR="10.1.1.1")
        response = type_code(client, code_now(app), REMOTE_ADDR="10.1.1.1")
        assert response.status_code == 429
        assert not signed_in(client)

    def test_the_code_step_lasts_five_minutes(self, facility, app, monkeypatch):
        client = Client()
        sign_in(client)
        later = time.time() + 5 * 60 + 1
        monkeypatch.setattr(two_factor.time, "time", lambda: later)
        response = type_code(client, code_now(app))
        assert response["Location"] == reverse("login")
        assert not signed_in(client)

    def test_without_a_password_first_there_is_no_code_step(self, app):
        response = type_code(Client(), code_now(app))
        assert response["Location"] == reverse("login")

    def test_a_recovery_code_signs_in_once(self, facility, owner):
        with_app(owner)
        codes = two_factor.new_recovery_codes(owner)
        client = Client()
        sign_in(client)
        typed = f"{codes[0][:4]}-{codes[0][4:]}".upper()
        response = type_code(client, typed)
        assert response["Location"] == reverse("home")
        assert signed_in(client)
        assert two_factor.recovery_codes_left(owner) == len(codes) - 1
        again = Client()
        sign_in(again)
        type_code(again, codes[0])
        assert not signed_in(again)

    def test_a_session_made_without_the_second_factor_is_signed_out(self, facility, app):
        """A session that began before the app was set up on another computer."""
        client = Client()
        client.force_login(app.user)
        response = client.get(facility.get_absolute_url())
        assert response["Location"].startswith(reverse("login"))
        assert not signed_in(client)


class TestWhoMustUseIt:
    def test_an_owner_sets_it_up_before_anything_else(self, facility, owner):
        client = Client()
        sign_in(client)
        assert signed_in(client)
        response = client.get(facility.get_absolute_url())
        set_up = reverse("two-factor-set-up")
        assert response["Location"] == f"{set_up}?next=%2Ffacilities%2F{facility.slug}%2F"
        page = client.get(response["Location"]).content.decode()
        assert text_of(page, "required")
        device = TOTPDevice.objects.get(user=owner, confirmed=False)
        shown = text_of(page, "secret").replace(" ", "")
        assert TOTP(_base32(shown)).token() == TOTP(device.bin_key).token()
        assert "<svg" in page.split('id="qr-code"', 1)[1][:300]
        # a wrong code first, then the right one
        wrong = client.post(set_up, {"code": "12345x"})
        assert error_of(wrong).startswith("That code is not right.")
        too_soon = client.post(set_up, {"code": code_now(device)})
        assert error_of(too_soon) == "Too many wrong codes. Wait a few seconds, then try again."
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
        done = client.post(set_up, {"code": code_now(device), "next": facility.get_absolute_url()})
        codes = list_items(done.content.decode(), "recovery-codes")
        assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}", c) for c in codes)
        assert {t.token for t in StaticToken.objects.filter(device__user=owner)} == {
            c.replace("-", "") for c in codes
        }
        assert client.get(facility.get_absolute_url()).status_code == 200
        # from now on the password alone is not enough
        other = Client()
        assert sign_in(other)["Location"] == reverse("two-factor-verify")

    def test_reloading_the_set_up_page_keeps_the_scanned_secret(self, facility, owner):
        client = Client()
        sign_in(client)
        first = text_of(client.get(reverse("two-factor-set-up")).content.decode(), "secret")
        again = text_of(client.get(reverse("two-factor-set-up")).content.decode(), "secret")
        assert first == again and len(first.replace(" ", "")) == 32

    @pytest.mark.parametrize("who", ["partner member", "network leader"])
    def test_partner_members_and_network_leaders_must_use_it(
        self, who, facility, owner, leader, network
    ):
        if who == "partner member":
            _, user = make_partner(facility, by=owner)
        else:
            user = leader
        client = Client()
        sign_in(client, user.username)
        response = client.get(reverse("home"))
        assert response["Location"].startswith(reverse("two-factor-set-up"))

    def test_a_viewer_may_go_without_and_may_turn_it_on_and_off(self, facility, viewer):
        client = Client()
        sign_in(client, "viewer")
        assert client.get(facility.get_absolute_url()).status_code == 200
        page = client.get(reverse("two-factor")).content.decode()
        assert text_of(page, "two-factor-status") == "Two-step sign-in is off for your account."
        client.get(reverse("two-factor-set-up"))
        device = TOTPDevice.objects.get(user=viewer)
        client.post(reverse("two-factor-set-up"), {"code": code_now(device)})
        page = client.get(reverse("two-factor")).content.decode()
        assert text_of(page, "two-factor-status") == "Two-step sign-in is on for your account."
        assert text_of(page, "codes-left") == "You have 10 unused recovery codes."
        # turning it off needs a current code
        refused = client.post(reverse("two-factor-off"), {"code": "000000"})
        assert refused.status_code == 400
        assert TOTPDevice.objects.filter(user=viewer).exists()
        TOTPDevice.objects.filter(user=viewer).update(throttling_failure_count=0)
        client.post(reverse("two-factor-off"), {"code": code_now(device, steps_ahead=1)})
        assert not TOTPDevice.objects.filter(user=viewer).exists()
        assert sign_in(Client(), "viewer")["Location"] == reverse("home")

    def test_an_owner_cannot_turn_it_off(self, facility, app):
        client = Client()
        sign_in(client)
        type_code(client, code_now(app))
        response = client.post(reverse("two-factor-off"), {"code": code_now(app, steps_ahead=1)})
        assert response["Location"] == reverse("two-factor")
        assert TOTPDevice.objects.filter(user=app.user).exists()

    def test_someone_made_owner_sets_it_up_at_their_next_page(self, facility, viewer):
        client = Client()
        sign_in(client, "viewer")
        assert client.get(facility.get_absolute_url()).status_code == 200
        Membership.objects.filter(user=viewer).update(level=Membership.Level.OWNER)
        response = client.get(facility.get_absolute_url())
        assert response["Location"].startswith(reverse("two-factor-set-up"))

    def test_respondent_pages_and_signing_out_stay_open_before_set_up(
        self, facility, owner, open_round_
    ):
        client = Client()
        sign_in(client)
        assert client.get(reverse("how-scores-work")).status_code == 200
        assert client.get(open_round_.respondent_link()).status_code == 200
        # the redirect to the set-up carries the headers every response has
        refused = client.get(facility.get_absolute_url())
        assert refused["Location"].startswith(reverse("two-factor-set-up"))
        assert refused["Permissions-Policy"].startswith("accelerometer=()")
        assert "no-store" in refused["Cache-Control"]
        client.post(reverse("logout"))
        assert not signed_in(client)


class TestRecoveryCodes:
    def test_a_reset_names_one_account_or_none(self, facility, app):
        make_user("Owner")  # "owner" in another case: a second account
        with pytest.raises(CommandError, match="Several accounts have the username 'OWNER'"):
            call_command("reset_two_factor", "OWNER")
        assert TOTPDevice.objects.filter(user=app.user).exists()
        with pytest.raises(CommandError, match="No account with the username 'nobody'"):
            call_command("reset_two_factor", "nobody")
        call_command("reset_two_factor", "owner")  # typed exactly
        assert not TOTPDevice.objects.filter(user=app.user).exists()

    def test_new_codes_replace_the_old_ones(self, facility, app):
        old = set(StaticToken.objects.filter(device__user=app.user).values_list("token", flat=True))
        client = Client()
        sign_in(client)
        type_code(client, code_now(app))
        # a computer left signed in cannot take (or cancel) them: a current code first
        refused = client.post(reverse("two-factor-recovery-codes"), {"codes-code": "000000"})
        assert refused.status_code == 400
        assert text_of(refused.content.decode(), "error_1_id_codes-code") == (
            "That code is not right. Nothing was changed."
        )
        TOTPDevice.objects.filter(pk=app.pk).update(throttling_failure_count=0)
        page = client.post(
            reverse("two-factor-recovery-codes"), {"codes-code": code_now(app, steps_ahead=1)}
        ).content.decode()
        new = {c.replace("-", "") for c in list_items(page, "recovery-codes")}
        assert len(new) == 10 and not new & old
        assert set(StaticToken.objects.values_list("token", flat=True)) == new

    def test_an_operator_can_reset_it_for_someone_who_lost_everything(self, facility, app, capsys):
        call_command("reset_two_factor", "OWNER")
        assert capsys.readouterr().out.strip() == "Two-step sign-in is reset for owner."
        assert not TOTPDevice.objects.filter(user=app.user).exists()
        assert not StaticToken.objects.filter(device__user=app.user).exists()
        client = Client()
        sign_in(client)
        assert client.get(facility.get_absolute_url())["Location"].startswith(
            reverse("two-factor-set-up")
        )


def test_signed_in_pages_cost_one_query_for_the_second_factor(
    facility, app, django_assert_num_queries
):
    """Each page checks that the app the session passed with still exists."""
    client = Client()
    sign_in(client)
    type_code(client, code_now(app))
    verified = client.get(reverse("how-scores-work"))
    assert verified.status_code == 200
    with django_assert_num_queries(3):  # the session, the user and the app
        client.get(reverse("how-scores-work"))


def test_an_account_without_a_username_of_its_own_signs_in_with_its_address(facility):
    user = make_user("nurse.lead@example.org")
    user.email = user.username
    user.save()
    Membership.objects.create(user=user, facility=facility, level=Membership.Level.EDITOR)
    client = Client()
    sign_in(client, "Nurse.Lead@Example.org", password="pw-nurse.lead@example.org")
    assert signed_in(client)


def _base32(text: str) -> bytes:
    from base64 import b32decode

    return b32decode(text + "=" * (-len(text) % 8))


class TestSessionsThatDidNotPassOrNoLongerCount:
    """The review's attacks: an old session, or one whose app was reset, kept an owner's
    access or minted recovery codes."""

    @pytest.mark.parametrize(
        ("method", "name"),
        [
            ("post", "two-factor-recovery-codes"),
            ("post", "two-factor-off"),
            ("get", "two-factor-set-up"),
            ("get", "two-factor"),
        ],
    )
    def test_a_session_from_before_the_app_is_signed_out_on_every_page(
        self, facility, owner, method, name
    ):
        client = Client()
        sign_in(client)  # no app yet: signed in by the password
        with_app(owner)  # set up in another browser
        response = getattr(client, method)(reverse(name))
        assert response["Location"].startswith(reverse("login"))
        assert not signed_in(client)
        assert two_factor.recovery_codes_left(owner) == 10

    def test_a_session_from_before_the_app_still_opens_a_respondent_link(
        self, facility, owner, open_round_
    ):
        client = Client()
        sign_in(client)
        with_app(owner)
        response = client.get(open_round_.respondent_link())
        assert response.status_code == 200
        assert not signed_in(client)

    @pytest.mark.parametrize("how", ["operator reset", "turned off elsewhere"])
    def test_a_reset_ends_every_session_that_passed_with_the_old_app(self, facility, viewer, how):
        app = with_app(viewer)
        client = Client()
        sign_in(client, "viewer")
        type_code(client, code_now(app))
        assert client.get(facility.get_absolute_url()).status_code == 200
        if how == "operator reset":
            call_command("reset_two_factor", "viewer")
        else:
            TOTPDevice.objects.filter(user=viewer).delete()
        response = client.get(facility.get_absolute_url())
        assert response["Location"].startswith(reverse("login"))
        assert not signed_in(client)

    def test_a_key_shown_to_one_session_is_never_shown_to_another(self, facility, owner):
        first, second = Client(), Client()
        sign_in(first)
        sign_in(second)
        one = text_of(first.get(reverse("two-factor-set-up")).content.decode(), "secret")
        other = text_of(second.get(reverse("two-factor-set-up")).content.decode(), "secret")
        assert one != other
        # the first key no longer works: it cannot be waited on
        assert TOTPDevice.objects.filter(user=owner).count() == 1

    def test_a_key_expires(self, facility, owner, monkeypatch):
        client = Client()
        sign_in(client)
        shown = text_of(client.get(reverse("two-factor-set-up")).content.decode(), "secret")
        later = time.time() + 15 * 60 + 1
        monkeypatch.setattr(two_factor.time, "time", lambda: later)
        again = text_of(client.get(reverse("two-factor-set-up")).content.decode(), "secret")
        assert again != shown

    def test_set_up_sends_nobody_to_another_site(self, facility, owner):
        client = Client()
        sign_in(client)
        client.get(reverse("two-factor-set-up"))
        device = TOTPDevice.objects.get(user=owner)
        page = client.post(
            reverse("two-factor-set-up"), {"code": code_now(device), "next": "https://evil.test/"}
        ).content.decode()
        (link,) = tags(page, "a", id="continue")
        assert link["href"] == "/"

    def test_twins_of_a_username_meet_the_same_limit_on_failures(self, owner, settings):
        settings.SIGN_IN_FAILURES_PER_ACCOUNT = "2/d"
        lead = make_user("nurse.lead@example.org")
        for typed in ("nurse.lead@example.org", "Nurse.Lead@Example.org"):
            sign_in(Client(), typed, password="wrong")  # noqa: S106
        twin = "ｎurse.lead@example.org"  # a full-width "n"
        response = sign_in(Client(), twin, password="pw-nurse.lead@example.org")
        assert response.status_code == 429
        assert lead.username == "nurse.lead@example.org"

    def test_an_older_account_with_capitals_in_its_address_still_signs_in(self, db):
        make_user("Nurse.Lead@Example.org")
        client = Client()
        sign_in(client, "nurse.lead@example.org", password="pw-Nurse.Lead@Example.org")
        assert signed_in(client)


def test_turning_it_on_or_off_new_codes_and_resets_are_in_the_members_facilities_logs(
    facility, other_facility, viewer, owner
):
    """In the audit log of each facility the account belongs to, and no other."""
    client = Client()
    sign_in(client, "viewer")
    client.get(reverse("two-factor-set-up"))
    device = TOTPDevice.objects.get(user=viewer)
    client.post(reverse("two-factor-set-up"), {"code": code_now(device)})
    client.post(
        reverse("two-factor-recovery-codes"), {"codes-code": code_now(device, steps_ahead=1)}
    )
    client.post(reverse("two-factor-off"), {"code": code_now(device, steps_ahead=2)})
    with_app(viewer)
    call_command("reset_two_factor", "viewer")

    def log_of(facility, user):
        """(who, what) of each event the facility's audit page lists, newest first."""
        logged_in = SignedInClient()
        logged_in.force_login(user)
        shown = logged_in.get(reverse("facility-audit", args=[facility.slug])).context["events"]
        return [
            [event.username, event.get_action_display()]
            for event in shown
            if event.action != AuditEvent.Action.SIGNED_IN
        ]

    assert log_of(facility, owner)[:4] == [
        ["viewer", "Two-step sign-in reset by an operator"],
        ["viewer", "Two-step sign-in turned off"],
        ["viewer", "New recovery codes"],
        ["viewer", "Two-step sign-in turned on"],
    ]
    assert not [
        row for row in log_of(other_facility, other_facility.members.first()) if row[0] == "viewer"
    ]
