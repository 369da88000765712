"""The load test's simulated respondents (run by `make load`, see load.py and morning.py).

`Respondent`: each simulated person opens the round's shared link, chooses a role and
answers the pages like a person would, pausing to read between pages, so that everybody's
saves interleave; then stops. When the last one has finished, the run ends by itself.

`MorningRespondent`: the busiest moment of a large system's morning. Each simulated
browser answers one questionnaire after another with no pause, so that the server, not
the people, sets the pace; every finished questionnaire is counted as a "finished"
QUESTIONNAIRE entry, with how long it took.
"""

import os
import random
import re
import time

import gevent
from locust import HttpUser, between, constant, events, task
from locust.exception import StopUser

LINK = os.environ.get("LOAD_ROUND_LINK", "")
EXPECTED = int(os.environ.get("LOAD_USERS", "100"))
# Pages to walk at most: as many as the questionnaire has (5 in 2026.1, 6 in 2027.1).
MAX_PAGES = 12
finished = {"count": 0}


# Where the morning scenario wants the number of thank-you pages reached: counted here,
# as they happen, rather than read from statistics written out as locust stops.
COUNT_FILE = os.environ.get("LOAD_COUNT_FILE", "")
thanked = {"count": 0}


@events.test_start.add_listener
def _check(environment, **kwargs):
    if not LINK:
        raise SystemExit("LOAD_ROUND_LINK is not set; run the load test with `make load`.")


@events.quitting.add_listener
def _write_count(environment, **kwargs):
    if COUNT_FILE:
        with open(COUNT_FILE, "w") as f:
            f.write(str(thanked["count"]))


def answer_the_questionnaire(user: HttpUser, *, reading=True) -> bool:
    """One person's whole questionnaire through the shared link: True when it ended on
    the thank-you page. A failed request is recorded as a failure and ends the walk.
    ``reading``: pause on every page (the user's wait_time), as a person reads it."""
    client = user.client
    client.cookies.clear()  # a new person each time: no session, no earlier answers
    start = client.get(LINK, name="start page")
    nonce = re.search(r'name="nonce" value="([^"]+)"', start.text)
    roles = re.findall(r'name="role" value="(\d+)"', start.text)
    if not nonce or not roles:
        return False
    csrf = client.cookies.get("csrftoken")
    with client.post(
        LINK,
        {"role": random.choice(roles), "nonce": nonce.group(1), "csrfmiddlewaretoken": csrf},
        name="choose role",
        allow_redirects=False,
        catch_response=True,
    ) as response:
        if response.status_code != 302:
            response.failure(f"choose role answered {response.status_code}")
            return False
        url = response.headers["Location"]
    for number in range(1, MAX_PAGES + 1):
        if url.rstrip("/").endswith("/done"):
            return True
        page = client.get(url, name="questionnaire page")
        names = sorted(set(re.findall(r'name="(item-[^"]+)"', page.text)))
        if reading:
            # a pause is also where locust stops a user whose run is over, mid-questionnaire
            user.wait()
        # the answers the page offers ("Does not apply" only in 2026.1)
        data = {
            name: random.choice(re.findall(rf'name="{name}" value="([^"]+)"', page.text))
            for name in names
        }
        data.update(direction="next", csrfmiddlewaretoken=csrf)
        with client.post(
            url, data, name="save page", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302 or not names:
                response.failure(f"page {number} answered {response.status_code}")
                return False
            url = response.headers["Location"]
    return url.rstrip("/").endswith("/done")


class Respondent(HttpUser):
    wait_time = between(0.5, 2.0)

    @task
    def answer_once(self):
        if not answer_the_questionnaire(self):
            events.request.fire(
                request_type="CHECK",
                name="finished",
                response_time=0,
                response_length=0,
                exception=AssertionError("did not reach the thank-you page"),
            )
        finished["count"] += 1
        if finished["count"] >= EXPECTED:
            # A moment later, so that the last request is in the statistics written out.
            gevent.spawn_later(1, self.environment.runner.quit)
        raise StopUser()


class MorningRespondent(HttpUser):
    wait_time = constant(0)

    @task
    def answer_one_after_another(self):
        started = time.perf_counter()
        # no pause, so that a browser stopped by the clock finishes its questionnaire
        done = answer_the_questionnaire(self, reading=False)
        thanked["count"] += done
        events.request.fire(
            request_type="QUESTIONNAIRE",
            name="finished",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=None if done else AssertionError("did not reach the thank-you page"),
        )
