"""A respondent's way through a round's link, as a browser posts it: choose a role,
answer page by page. For tests that need answers given the way respondents give them."""

import re
import secrets

from django.test import Client
from django.urls import reverse

from readiness.models import Domain, Item, Role


def start_url(round_):
    return reverse("respondent-start", args=[round_.link_token])


def start(client, round_, role="nurse", nonce="n" * 30):
    role_id = Role.objects.get(instrument=round_.instrument, code=role).pk
    response = client.post(start_url(round_), {"role": role_id, "nonce": nonce})
    assert response.status_code == 302, response.content[:500]
    token = re.search(r"/a/([A-Za-z0-9_-]+)/page/1/", response["Location"]).group(1)
    return token, response


def page_items(round_, number):
    domain = Domain.objects.filter(instrument=round_.instrument)[number - 1]
    return list(Item.objects.filter(determinant__domain=domain))


def page_data(round_, number, value="4", direction="next"):
    data = {f"item-{item.code}": value for item in page_items(round_, number)}
    data["direction"] = direction
    return data


def page_url(token, number):
    return reverse("respondent-page", args=[token, number])


def answer_everything(client, round_, token, value="4"):
    pages = Domain.objects.filter(instrument=round_.instrument).count()
    for number in range(1, pages + 1):
        response = client.post(page_url(token, number), page_data(round_, number, value))
        assert response.status_code == 302
    return response


def respond(round_, role: str, value: str) -> None:
    """One anonymous respondent answering every statement through the round's link."""
    client = Client()
    token, _ = start(client, round_, role=role, nonce=secrets.token_urlsafe(24))
    answer_everything(client, round_, token, value=value)
