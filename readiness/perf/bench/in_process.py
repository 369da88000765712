"""Measured through Django's test client, in this process: each page's time, and the
queries it makes."""

import time
from functools import partial

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from readiness.models import (
    Domain,
    Item,
    Role,
    Share,
)
from readiness.pages import questionnaire_pages
from readiness.perf import seed
from readiness.perf.bench.fixture import (
    LARGE_ROUND,
    LEADER,
    NETWORK_SITES,
    PARTNER_MEMBER,
    PARTNER_SITES,
    Fixture,
    scale_leader,
)
from readiness.perf.bench.timing import REQUESTS, SLOW_REQUESTS, Timing, time_all
from readiness.services import facilities as facility_services
from readiness.services.responses import find_respondent, save_page, start_respondent


class StepSave:
    """A respondent's last page, saved through ``post``, that publishes a step of three
    people (services/releases.py) into a round of ``published`` people: the two others
    finish, and the third answers every page but the last, before each timing."""

    def __init__(self, fx: Fixture, published: int, post):
        self.round = fx.steps[published]
        self.post = post
        self.role = Role.objects.filter(instrument=self.round.instrument).first()
        self.pages = questionnaire_pages(self.round.instrument, self.role.code)

    def _answered(self, *, finish_last: bool) -> str:
        started = start_respondent(
            round_=self.round, role=self.role, nonce=f"step-{time.time_ns()}"
        )
        respondent = find_respondent(started.token)
        for page in self.pages[: None if finish_last else -1]:
            save_page(
                respondent=respondent,
                page=page.number,
                answers={item.pk: ("scale", 4) for item in page.items},
                finish=finish_last and page is self.pages[-1],
            )
        return started.token

    def prepare(self):
        self._answered(finish_last=True)
        self._answered(finish_last=True)
        last = self.pages[-1]
        self.path = reverse(
            "respondent-page", args=[self._answered(finish_last=False), last.number]
        )
        self.data = {f"item-{item.code}": "4" for item in last.items} | {"direction": "next"}

    def __call__(self):
        self.post(self.path, self.data)


def page_post_data(round_, value) -> dict:
    domain = Domain.objects.filter(instrument=round_.instrument).first()
    data = {
        f"item-{code}": str(value)
        for code in Item.objects.filter(determinant__domain=domain).values_list("code", flat=True)
    }
    data["direction"] = "later"  # saves without finishing, so it can repeat
    return data


def results_changed(fx: Fixture):
    """Make the next dashboard view rebuild its results, as after new answers."""
    facility_services.results_changed(facility_id=fx.facility.pk)


class AfterNewAnswers:
    """A page's first view after a facility's results changed (as when people join its
    published results): the change is made before each timing, so that what is timed is
    the reader's page, not the writer's save (timed on its own: StepSave)."""

    def __init__(self, facility_id: int, get, path: str):
        self.facility_id, self.get, self.path = facility_id, get, path

    def prepare(self):
        facility_services.results_changed(facility_id=self.facility_id)

    def __call__(self):
        return self.get(self.path)


def dashboards_after_new_answers(fx: Fixture, get) -> dict:
    """The 40- and 400-person dashboards, each view made afresh as after new answers."""
    return {
        f"dashboard after new answers, {n}": AfterNewAnswers(
            fx.facility.pk, get, fx.dashboards[n].get_absolute_url()
        )
        for n in (40, 400)
    }


def measure_client(fx: Fixture) -> dict[str, Timing]:
    client = seed.signed_in_client()
    anonymous = Client()
    round_, token = fx.pages[10]
    page = reverse("respondent-page", args=[token, 1])
    values = iter(range(10**9))
    save = lambda: anonymous.post(page, page_post_data(round_, 1 + next(values) % 5))  # noqa: E731
    return (
        time_all(
            {
                "sign-in page": lambda: anonymous.get(reverse("login")),
                "dashboard, 40 respondents": lambda: client.get(
                    fx.dashboards[40].get_absolute_url()
                ),
                "dashboard, 400 respondents": lambda: client.get(
                    fx.dashboards[400].get_absolute_url()
                ),
                "questionnaire page": lambda: anonymous.get(page),
                "page save": save,
            }
        )
        | time_all(dashboards_after_new_answers(fx, client.get), n=REQUESTS // 2)
        | time_all(
            scale_pages(
                fx,
                lambda username: _content_of(seed.signed_in_client(username).get),
                client.get,
                anonymous.post,
            ),
            n=SLOW_REQUESTS,
        )
    )


def _content_of(get):
    """A GET that reads a streamed body to its end, as a browser does."""

    def read(path):
        response = get(path)
        if response.streaming:
            b"".join(response.streaming_content)
        return response

    return read


def scale_pages(fx: Fixture, signed_in, staff_get, post) -> dict:
    """What issue 12 adds, timed SLOW_REQUESTS times each: the largest round's dashboard
    after new answers and its results as JSON, the save that publishes a step into
    rounds of 40 and 2,000 people, the bench user's list of 301 facilities, a partner's
    portfolio of 300, and network pages from 12 to 1,000 sites with the comparison's
    download and the quality page. ``signed_in(username)`` gives a GET for that person;
    ``post`` is an anonymous respondent's POST."""
    large = fx.dashboards[LARGE_ROUND].get_absolute_url()
    portfolio = signed_in(PARTNER_MEMBER)
    portfolio_url = fx.partner.get_absolute_url()
    # a facility outside every network, whose change leaves the network pages kept
    shared = (
        Share.objects.filter(partner=fx.partner, facility__network__isnull=True)
        .order_by("pk")
        .first()
        .facility_id
    )
    pages = {
        f"results JSON, {LARGE_ROUND:,} respondents": partial(staff_get, large + "results.json"),
        "step of published results, 40": StepSave(fx, 40, post),
        f"step of published results, {LARGE_ROUND:,}": StepSave(fx, LARGE_ROUND, post),
        f"partner portfolio, {PARTNER_SITES} facilities": partial(portfolio, portfolio_url),
        f"partner portfolio after new answers, {PARTNER_SITES} facilities": AfterNewAnswers(
            shared, portfolio, portfolio_url
        ),
        f"network quality page, {NETWORK_SITES} sites": partial(
            signed_in(LEADER), reverse("network-quality", args=[fx.network.slug])
        ),
        f"dashboard after new answers, {LARGE_ROUND:,}": AfterNewAnswers(
            fx.facility.pk, staff_get, large
        ),
        "facility list, 301 facilities": lambda: staff_get(reverse("facility-list")),
    }
    for sites, network in sorted(fx.networks.items()):
        url = network.get_absolute_url()
        get = signed_in(scale_leader(sites))
        pages[f"network page, {sites:,} sites"] = partial(get, url)
        # made afresh, as after any site's new results
        one_site = network.facilities.order_by("pk").first()
        pages[f"network page after new answers, {sites:,} sites"] = AfterNewAnswers(
            one_site.pk, get, url
        )
    biggest = max(fx.networks)
    pages[f"network comparison CSV, {biggest:,} sites"] = partial(
        signed_in(scale_leader(biggest)),
        reverse("network-comparison-csv", args=[fx.networks[biggest].slug]),
    )
    return pages


def query_counts(fx: Fixture) -> dict[str, tuple[int, int]]:
    client = seed.signed_in_client()
    anonymous = Client()

    def count(call) -> int:
        call()  # warm caches that are not per-request
        with CaptureQueriesContext(connection) as queries:
            call()
        return len(queries)

    result = {}
    result["dashboard"] = tuple(
        count(lambda n=n: client.get(fx.dashboards[n].get_absolute_url())) for n in (10, 400)
    )

    def cold(n):
        results_changed(fx)
        with CaptureQueriesContext(connection) as queries:
            client.get(fx.dashboards[n].get_absolute_url())
        return len(queries)

    result["dashboard after new answers"] = (cold(10), cold(400))
    result["questionnaire page"] = tuple(
        count(lambda n=n: anonymous.get(reverse("respondent-page", args=[fx.pages[n][1], 1])))
        for n in (10, 400)
    )
    result["page save"] = tuple(
        count(
            lambda n=n: anonymous.post(
                reverse("respondent-page", args=[fx.pages[n][1], 1]),
                page_post_data(fx.pages[n][0], 3),
            )
        )
        for n in (10, 400)
    )
    return result
