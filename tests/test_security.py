"""Security settings a hospital IT office checks: CSRF, CSP, rate limits, deploy check,
and logs that never hold a respondent's link."""

import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from readiness.log_filters import RedactTokens, redact
from readiness.models import AuditEvent, Membership, Respondent, Round
from tests.clients import Client
from tests.conftest import ROOT, make_user
from tests.pages import text_of
from tests.respondents import page_data, page_url, start
from tests.test_permissions import EXPECTED, url_for, world  # noqa: F401 - fixture


def production_env(**overrides) -> dict:
    """This process's environment as a production deploy sets it, and ``overrides``."""
    return (
        dict(
            os.environ,
            DJANGO_ENV="production",
            SECRET_KEY="x7" * 30 + "-not-a-real-secret-but-long-and-varied-enough",
            SITE_ROOT="https://readiness.example.org",
            EMAIL_HOST="smtp.example.org",
        )
        | overrides
    )


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
    env = production_env(ALLOWED_HOSTS="readiness.example.org")
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


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SITE_ROOT", "SITE_ROOT must be set in production"),
        ("EMAIL_HOST", "EMAIL_HOST must be set in production"),
    ],
)
def test_production_refuses_to_start_without_a_site_address_or_mail_server(missing, message):
    """Otherwise invitation links would point at 127.0.0.1:8000, or be written with live
    tokens into the server's log by the console mail backend."""
    env = production_env()
    env[missing] = ""
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and message in result.stderr


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

    def sign_in(self, client, address, username="owner", password="pw-owner"):  # noqa: S107
        return client.post(
            reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
        )

    def test_guesses_lock_the_account_only_from_the_address_that_made_them(self, owner):
        client = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert self.fail(client, "owner", "10.0.0.1").status_code == 200
        response = self.fail(client, "owner", "10.0.0.1")
        assert response.status_code == 429
        assert "paused for 15 minutes" in text_of(response.content.decode(), "main")
        # from that address, even the right password waits
        assert self.sign_in(client, "10.0.0.1").status_code == 429
        # the owner at their own desk signs in, and so does a colleague behind the
        # attacker's address
        assert self.sign_in(Client(), "10.0.0.2").status_code == 302
        make_user("colleague")
        assert self.sign_in(Client(), "10.0.0.1", "colleague", "pw-colleague").status_code == 302

    def test_an_address_trying_many_accounts_meets_a_generous_limit(self, owner, settings):
        settings.SIGN_IN_FAILURES_PER_ADDRESS = "5/h"
        client = Client()
        for n in range(5):
            assert self.fail(client, f"user{n}", "10.9.9.9").status_code == 200
        assert self.sign_in(client, "10.9.9.9").status_code == 429
        # the account itself is fine from elsewhere
        assert self.sign_in(Client(), "10.8.8.8").status_code == 302

    def test_guessing_one_account_from_many_addresses_meets_a_ceiling(self, owner, settings):
        settings.SIGN_IN_FAILURES_PER_ACCOUNT = "3/d"
        for n in range(3):
            assert self.fail(Client(), "Owner " if n else "owner", f"10.7.0.{n}").status_code == 200
        assert self.sign_in(Client(), "10.7.0.99").status_code == 429
        make_user("colleague")
        assert self.sign_in(Client(), "10.7.0.99", "colleague", "pw-colleague").status_code == 302

    def test_failed_sign_ins_are_in_the_audit_log_of_the_accounts_facilities(self, facility):
        self.fail(Client(), "owner", "10.0.0.5")
        self.fail(Client(), "nobody-here", "10.0.0.5")
        (event,) = AuditEvent.objects.filter(action=AuditEvent.Action.SIGN_IN_FAILED)
        assert (event.facility, event.detail) == (facility, {"username": "owner"})


class TestPasswordResetLimits:
    def test_reset_links_start_with_the_site_address(self, owner, settings, mailoutbox):
        owner.email = "owner@example.org"
        owner.save()
        settings.SITE_ROOT = "https://readiness.example.org"
        Client().post(reverse("password_reset"), {"email": "owner@example.org"})
        (mail,) = mailoutbox
        assert "https://readiness.example.org/accounts/reset/" in mail.body

    def ask(self, client, email, address="10.1.1.1"):
        return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)

    def test_reset_mails_are_limited_per_account_and_per_address(self, owner, settings, mailoutbox):
        owner.email = "owner@example.org"
        owner.save()
        settings.PASSWORD_RESETS_PER_EMAIL = "2/h"
        settings.PASSWORD_RESETS_PER_ADDRESS = "3/h"
        for n, typed in enumerate(
            ["owner@example.org", "Owner@Example.org", " OWNER@example.org", "owner@example.org"]
        ):
            response = self.ask(Client(), typed, f"10.1.1.{n}")
            # the same answer every time: nothing says a limit was met
            assert response.status_code == 302
            assert response["Location"] == reverse("password_reset_done")
        assert len(mailoutbox) == 2
        for n in range(4):
            self.ask(Client(), f"someone{n}@example.org", "10.2.2.2")
        owner.email = "other@example.org"
        owner.save()
        assert self.ask(Client(), "other@example.org", "10.2.2.2").status_code == 302
        assert len(mailoutbox) == 2  # that address used up its three


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


def test_an_oversized_body_is_refused_before_it_is_read(db, settings):
    """The review's attack: 200 MB sent to the sign-in page was received in full."""
    from unittest import mock

    client = Client()
    with mock.patch("django.core.handlers.wsgi.LimitedStream.read") as read:
        response = client.post(
            reverse("login"),
            data=b"x" * 10,
            content_type="application/octet-stream",
            CONTENT_LENGTH=str(200 * 1024 * 1024),
        )
    assert response.status_code == 413
    assert read.call_count == 0
    assert text_of(response.content.decode(), "main").startswith("Too much at once")
    # the refusal carries every header a page does
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    on_a_personal_link = client.post(
        "/a/" + "k" * 43 + "/page/1/",
        data=b"x",
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(300 * 1024),
    )
    assert on_a_personal_link.status_code == 413
    assert on_a_personal_link["Referrer-Policy"] == "strict-origin"
    # a questionnaire-sized form goes through
    assert client.post(reverse("login"), {"username": "a", "password": "b"}).status_code == 200


def _expiry_of(key_part: str = ""):
    """The expiry of the one cache row whose key contains ``key_part``, aware."""
    import datetime

    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT expires FROM readiness_cache WHERE cache_key LIKE %s", [f"%{key_part}%"]
        )
        (expires,) = cursor.fetchone()
    if isinstance(expires, str):
        expires = datetime.datetime.fromisoformat(expires)
    if timezone.is_naive(expires):
        expires = timezone.make_aware(expires, datetime.UTC)
    return expires


def test_rate_counts_in_the_database_cache_last_exactly_their_window(db, settings):
    """Django's database cache increments by writing again with its default timeout;
    ours keeps the count's expiry (readiness/cache.py): a count neither ends before its
    window is up nor stays a day, piling up rows that every write counts."""
    import datetime

    from django.core.cache import caches
    from django.db import connection
    from django.test import RequestFactory
    from django.utils import timezone
    from django_ratelimit.core import get_usage

    production = _production_settings()
    assert production["BACKEND"] == "readiness.cache.DatabaseCache"
    settings.CACHES = {"default": production}
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.3.3.3")

    def count():
        return get_usage(request, group="t", key="ip", rate="50/h", increment=True)["count"]

    try:
        counts = [count()]
        added = _expiry_of()
        counts += [count(), count()]
        assert counts == [1, 2, 3]
        assert _expiry_of() == added  # the increments kept it
        # django-ratelimit adds a count for its period and a few seconds: never a day
        assert added - timezone.now() <= datetime.timedelta(hours=1, seconds=10)
        # once expired, the count starts again
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE readiness_cache SET expires = %s",
                [timezone.now() - datetime.timedelta(seconds=1)],
            )
        assert count() == 1
        # a value kept with no timeout keeps none when incremented
        cache = caches["default"]
        cache.set("forever", 1, timeout=None)
        assert cache.incr("forever") == 2
        assert _expiry_of("forever").year == datetime.MAXYEAR
        with pytest.raises(ValueError):
            cache.incr("never-set")
    finally:
        caches["default"].clear()


def test_the_database_cache_culls_expired_rows_and_keeps_live_counts(db):
    """Past MAX_ENTRIES a write deletes the expired rows only; Django's would also
    delete a third of the live ones, resetting rate-limit counts inside their window."""
    import datetime

    from django.db import connection
    from django.utils import timezone

    from readiness.cache import DatabaseCache

    cache = DatabaseCache(
        "readiness_cache", {"OPTIONS": {"MAX_ENTRIES": 3, "LIVE_MAX_ENTRIES": 50}}
    )
    try:
        for n in range(2):
            cache.set(f"old-{n}", n, 60)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE readiness_cache SET expires = %s",
                [timezone.now() - datetime.timedelta(seconds=1)],
            )
        for n in range(5):  # the writes past 3 rows cull
            cache.set(f"live-{n}", n, 3600)
        assert [cache.get(f"live-{n}") for n in range(5)] == [0, 1, 2, 3, 4]
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM readiness_cache")
            assert cursor.fetchone() == (5,)  # the expired rows went
        for n in range(50):  # past the live ceiling, Django's cull applies
            cache.set(f"more-{n}", n, 3600)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM readiness_cache")
            assert cursor.fetchone()[0] < 55
    finally:
        cache.clear()


def _production_settings() -> dict:
    """settings.CACHES["default"] as production mode makes it, with no CACHE_URL."""
    import json

    env = production_env(CACHE_URL="")
    script = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.CACHES['default']))"
    )
    result = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_reset_link_that_is_not_valid_says_so_and_offers_no_form(db):
    response = Client().get(reverse("password_reset_confirm", args=["MQ", "not-a-token"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert text_of(html, "main").endswith(
        "This reset link is not valid any more. Ask for a new one."
    )
    assert 'name="new_password1"' not in html
    # the other password pages show their form, never that message
    form_page = Client().get(reverse("password_reset")).content.decode()
    assert 'name="email"' in form_page and "not valid any more" not in form_page
