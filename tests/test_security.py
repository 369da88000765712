"""Security settings a hospital IT office checks: CSRF, CSP, rate limits, deploy check,
and logs that never hold a respondent's link."""

import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from readiness.log_filters import RedactTokens, redact
from readiness.models import AuditEvent, Membership, Respondent, Round
from tests.conftest import ROOT
from tests.test_permissions import EXPECTED, url_for, world  # noqa: F401 - fixture
from tests.test_questionnaire import page_data, page_url, start


def test_every_post_form_refuses_a_request_without_csrf_token(world):  # noqa: F811
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["owner"])
    before = (Round.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    posts = [name for name, (method, _) in EXPECTED.items() if method == "POST"]
    posts += [
        "login",
        "facility-create",
        "respondent-start",
        "respondent-page",
        "round-delete",
        "facility-delete",
        "password_change",
    ]
    for name in posts:
        response = client.post(url_for(name, world), {"label": "x", "confirm": "Mercy Clinic"})
        assert response.status_code == 403, name
    assert (Round.objects.count(), Membership.objects.count(), AuditEvent.objects.count()) == before


def test_every_page_sends_a_strict_content_security_policy(world):  # noqa: F811
    client = Client()
    client.force_login(world["users"]["owner"])
    for name, (method, _) in EXPECTED.items():
        if method != "GET":
            continue
        response = client.get(url_for(name, world))
        policy = response.get("Content-Security-Policy", "")
        assert "default-src 'self'" in policy, name
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, name
        assert "http:" not in policy and "https:" not in policy, name
        assert response["X-Frame-Options"] == "DENY", name


def test_the_deploy_check_is_clean_in_production_mode():
    env = dict(
        os.environ,
        DJANGO_ENV="production",
        SECRET_KEY="x7" * 30 + "-not-a-real-secret-but-long-and-varied-enough",
        ALLOWED_HOSTS="readiness.example.org",
    )
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the browser tests' relaxation, not a deploy's
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = dict(os.environ, DJANGO_ENV="production", SECRET_KEY="")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


class TestSignInLimits:
    def fail(self, client, username, address):
        return client.post(
            reverse("login"), {"username": username, "password": "wrong"}, REMOTE_ADDR=address
        )

    def test_an_account_is_locked_after_repeated_failures_with_a_clear_message(self, owner):
        client = Client()
        for n in range(settings.AXES_FAILURE_LIMIT - 1):
            assert self.fail(client, "owner", f"10.0.0.{n}").status_code == 200
        response = self.fail(client, "owner", "10.0.0.99")
        assert response.status_code == 429
        assert "paused for 15 minutes" in response.content.decode()
        # even the right password is refused while locked
        response = client.post(
            reverse("login"), {"username": "owner", "password": "pw-owner"}, REMOTE_ADDR="10.0.1.1"
        )
        assert response.status_code == 429

    def test_one_address_trying_many_accounts_is_locked(self, owner):
        client = Client()
        for n in range(settings.AXES_FAILURE_LIMIT):
            self.fail(client, f"user{n}", "10.9.9.9")
        response = client.post(
            reverse("login"), {"username": "owner", "password": "pw-owner"}, REMOTE_ADDR="10.9.9.9"
        )
        assert response.status_code == 429
        # the account itself is fine from elsewhere
        response = client.post(
            reverse("login"), {"username": "owner", "password": "pw-owner"}, REMOTE_ADDR="10.8.8.8"
        )
        assert response.status_code == 302


class TestRespondentLimits:
    def test_saves_are_limited_per_personal_link(self, open_round_, settings):
        settings.RESPONDENT_RATE = "5/m"
        client = Client()
        token, _ = start(client, open_round_)
        statuses = [
            client.post(
                page_url(token, 1), page_data(open_round_, 1, direction="later")
            ).status_code
            for _ in range(6)
        ]
        assert statuses == [302] * 5 + [429]
        assert "Nothing you saved" in client.post(page_url(token, 1), {}).content.decode()
        # a colleague behind the same hospital address is not affected
        other, _ = start(Client(), open_round_, nonce="o" * 30)
        response = Client().post(page_url(other, 1), page_data(open_round_, 1))
        assert response.status_code == 302

    def test_one_address_gets_a_generous_allowance(self, open_round_, settings):
        assert settings.RESPONDENT_RATE_PER_ADDRESS == "1200/m"  # a whole staff at once
        settings.RESPONDENT_RATE_PER_ADDRESS = "3/m"
        client = Client()
        token, _ = start(client, open_round_)  # 1
        client.post(page_url(token, 1), page_data(open_round_, 1))  # 2
        client.post(page_url(token, 2), page_data(open_round_, 2))  # 3
        assert client.post(page_url(token, 3), page_data(open_round_, 3)).status_code == 429
        assert Respondent.objects.get().pages_saved == 2


def test_logs_never_hold_a_respondents_link():
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        ("/a/" + "k" * 43 + "/page/2/",),
        None,
    )
    record.request = object()
    RedactTokens().filter(record)
    assert record.getMessage() == "Not Found: /a/[redacted]/page/2/"
    assert record.request is None
    # a round's short link, however it was typed
    typed_ways = ("k7m4-p9qx-dw3n", "K7M4P9QXDW3N", "k7m4p9qx-dw3n", "k7m4%20p9qx%20dw3n", "%6B7m4")
    for typed in typed_ways:
        assert redact(f"GET /s/{typed}/ HTTP/1.1") == "GET /s/[redacted]/ HTTP/1.1"
    server = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /r/" + "t" * 43 + "/ HTTP/1.1", "200", "512"),
        None,
    )
    RedactTokens().filter(server)
    assert "t" * 43 not in server.getMessage()


@pytest.mark.parametrize("path", ["/a/{}/page/1/", "/r/{}/"])
def test_the_log_filter_is_installed(path):
    handler = settings.LOGGING["handlers"]["console"]
    assert "redact_tokens" in handler["filters"]
