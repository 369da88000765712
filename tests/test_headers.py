"""Headers and session rules that every response follows (readiness/middleware.py)."""

import datetime
import time

from django.urls import reverse

from readiness import middleware
from tests.clients import Client


def test_every_response_forbids_features_no_page_uses(client, db):
    response = client.get(reverse("login"))
    policy = dict(part.strip().split("=", 1) for part in response["Permissions-Policy"].split(","))
    assert policy["camera"] == policy["geolocation"] == policy["microphone"] == "()"


def test_signed_in_pages_are_never_stored(facility, owner):
    client = Client()
    client.force_login(owner)
    response = client.get(facility.get_absolute_url())
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives
    # the public sign-in page may be cached as Django decides; it holds nothing personal
    anonymous = Client().get(reverse("how-scores-work"))
    assert "no-store" not in anonymous.get("Cache-Control", "")


def test_respondent_pages_never_send_their_path_as_referrer(open_round_, client):
    start = client.get(open_round_.respondent_link())
    assert start["Referrer-Policy"] == "strict-origin"
    assert client.get(open_round_.short_link())["Referrer-Policy"] == "strict-origin"
    # and the page says nothing that would loosen it
    assert b'name="referrer"' not in start.content
    assert client.get(reverse("login"))["Referrer-Policy"] == "same-origin"
    # invitation and reset links carry tokens too, even on their "not found" page
    assert client.get("/invitations/" + "u" * 43 + "/")["Referrer-Policy"] == "strict-origin"


def test_a_session_ends_a_working_day_after_the_last_request_and_with_the_browser(
    facility, owner, settings
):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    client = Client()
    client.force_login(owner)
    client.get(facility.get_absolute_url())
    first = client.session[middleware.LAST_SEEN]
    # a request soon after does not write the session again
    client.get(facility.get_absolute_url())
    assert client.session[middleware.LAST_SEEN] == first
    # one after ACTIVITY_EVERY does, and moves the session's end a working day on
    session = client.session
    session[middleware.LAST_SEEN] = int(time.time()) - middleware.ACTIVITY_EVERY
    session.save()
    soon = timezone.now() + datetime.timedelta(hours=1)
    Session.objects.filter(session_key=session.session_key).update(expire_date=soon)
    response = client.get(facility.get_absolute_url())
    assert client.session[middleware.LAST_SEEN] >= int(time.time()) - 5
    stored = Session.objects.get(session_key=client.session.session_key)
    left = (stored.expire_date - timezone.now()).total_seconds()
    assert 8 * 60 * 60 - 60 < left <= 8 * 60 * 60
    # and the cookie lasts only as long as the browser
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert (cookie["max-age"], cookie["expires"]) == ("", "")
