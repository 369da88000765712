"""The load test's simulated respondents (run by `make load`, see load.py).

Each simulated person opens the round's shared link, chooses a role and answers the five
pages like a person would, pausing to read between pages, so that everybody's saves
interleave; then stops. When the last one has finished, the run ends by itself.
"""

import os
import random
import re

import gevent
from locust import HttpUser, between, events, task
from locust.exception import StopUser

LINK = os.environ.get("LOAD_ROUND_LINK", "")
EXPECTED = int(os.environ.get("LOAD_USERS", "100"))
# Pages to walk at most: as many as the questionnaire has (5 in 2026.1, 6 in 2027.1).
MAX_PAGES = 12
finished = {"count": 0}


@events.test_start.add_listener
def _check(environment, **kwargs):
    if not LINK:
        raise SystemExit("LOAD_ROUND_LINK is not set; run the load test with `make load`.")


class Respondent(HttpUser):
    wait_time = between(0.5, 2.0)

    @task
    def answer_the_questionnaire(self):
        start = self.client.get(LINK, name="start page")
        nonce = re.search(r'name="nonce" value="([^"]+)"', start.text).group(1)
        role = random.choice(re.findall(r'name="role" value="(\d+)"', start.text))
        csrf = self.client.cookies.get("csrftoken")
        with self.client.post(
            LINK,
            {"role": role, "nonce": nonce, "csrfmiddlewaretoken": csrf},
            name="choose role",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"choose role answered {response.status_code}")
                raise StopUser()
            url = response.headers["Location"]
        for number in range(1, MAX_PAGES + 1):
            if url.rstrip("/").endswith("/done"):
                break
            page = self.client.get(url, name="questionnaire page")
            names = sorted(set(re.findall(r'name="(item-[^"]+)"', page.text)))
            self.wait()  # reading the page
            # the answers the page offers ("Does not apply" only in 2026.1)
            data = {
                name: random.choice(re.findall(rf'name="{name}" value="([^"]+)"', page.text))
                for name in names
            }
            data.update(direction="next", csrfmiddlewaretoken=csrf)
            with self.client.post(
                url, data, name="save page", allow_redirects=False, catch_response=True
            ) as response:
                if response.status_code != 302 or not names:
                    response.failure(f"page {number} answered {response.status_code}")
                    raise StopUser()
                url = response.headers["Location"]
        if not url.rstrip("/").endswith("/done"):
            events.request.fire(
                request_type="CHECK",
                name="finished",
                response_time=0,
                response_length=0,
                exception=AssertionError(f"did not finish: {url}"),
            )
        finished["count"] += 1
        if finished["count"] >= EXPECTED:
            # A moment later, so that the last request is in the statistics written out.
            gevent.spawn_later(1, self.environment.runner.quit)
        raise StopUser()
