"""The test client that most tests sign in with, an authenticator app for the tests that
sign in through the pages, and reading a round's results.json."""

import time

from django.test import Client as DjangoClient
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from readiness.services import two_factor
from tests.pages import cells


class Client(DjangoClient):
    """``force_login`` signs in as fully as a person who also typed the code from their
    authenticator app, so that tests of everything else do not each pass the two-step
    sign-in (tests/test_two_factor.py tests it, with Django's own client)."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name="second factor in tests", defaults={"confirmed": True}
        )
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def login(user) -> Client:
    """A client signed in as ``user``, past the second step."""
    client = Client()
    client.force_login(user)
    return client


def with_app(user) -> TOTPDevice:
    """The account has set up an authenticator app (and has its recovery codes)."""
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    two_factor.new_recovery_codes(user, first=True)
    return device


def code_now(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """What the app shows now (or that many 30-second steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def audit_log(client, slug: str) -> list[list[str]]:
    """The facility's audit page as ``client`` reads it (it must be allowed to): [when,
    who, what, details] per event, newest first."""
    response = client.get(reverse("facility-audit", args=[slug]))
    assert response.status_code == 200
    return [
        [text for _tag, _attrs, text in row]
        for row in cells(response.content.decode(), "audit-log")
        if [tag for tag, _attrs, _text in row] == ["td"] * 4
    ]


def results_json(client, round_) -> dict:
    """The round's results.json as ``client`` reads it (it must be allowed to)."""
    response = client.get(reverse("round-results-json", args=[round_.facility.slug, round_.pk]))
    assert response.status_code == 200
    return response.json()
