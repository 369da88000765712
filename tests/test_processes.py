"""Two app processes on one database, as two servers behind a load balancer: limits and
lock-outs counted in one are counted in the other, and a dashboard is fresh in both
(settings.CACHES, shared: the database cache, or Redis where a server runs)."""

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.conftest import ROOT

REDIS = "redis://127.0.0.1:6379/15"

LOAD_AND_SETUP = """
from django.core.management import call_command
call_command("load_instrument")
from django.contrib.auth import get_user_model
from readiness.services.facilities import create_facility, open_round
owner = get_user_model().objects.create_user("owner", password="pw-owner")
facility = create_facility(name="Mercy", slug="mercy", type="fqhc", state="CA", owner=owner)
round_ = open_round(facility=facility, label="Spring")
from django_otp.plugins.otp_totp.models import TOTPDevice
from readiness.services.two_factor import new_recovery_codes
TOTPDevice.objects.create(user=owner, name="app", confirmed=True)
codes = new_recovery_codes(owner, first=True)
print(codes[0], codes[1], round_.link_token, round_.pk)
"""


def _redis_running() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One person's cookies against one server."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post(self, path, data) -> int:
        status, html = self.get(path)
        fields = dict(re.findall(r'name="(csrfmiddlewaretoken|nonce)" value="([^"]+)"', html))
        body = urllib.parse.urlencode({**fields, **data}).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=20) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


@pytest.fixture(scope="module")
def prepared_database(tmp_path_factory):
    """A migrated database with the instrument, an owner and a round, made once: each
    server pair gets a copy of it (their recovery codes are used up by the test)."""
    path = tmp_path_factory.mktemp("processes") / "prepared.sqlite3"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{path}", CACHE_URL="")
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run(manage + ["migrate", "-v0"], cwd=ROOT, env=env, check=True, capture_output=True)
    made = subprocess.run(
        manage + ["shell", "-c", LOAD_AND_SETUP], cwd=ROOT, env=env, check=True, capture_output=True
    )
    *codes, link_token, round_id = made.stdout.decode().split()[-4:]
    return path, codes, link_token, int(round_id)


@pytest.fixture(
    params=["db", pytest.param(REDIS, id="redis")],
    ids=lambda cache: "database-cache" if cache == "db" else cache,
)
def two_servers(request, tmp_path, prepared_database):
    cache = request.param
    if cache == REDIS:
        redis = pytest.importorskip("redis")
        if not _redis_running():
            pytest.skip("no Redis server on 127.0.0.1:6379 (README: apt-get install redis-server)")
        redis.Redis.from_url(REDIS).flushdb()
    prepared, codes, link_token, round_id = prepared_database
    database = tmp_path / "shared.sqlite3"
    shutil.copyfile(prepared, database)
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{database}",
        CACHE_URL=cache,
        RESPONDENT_STARTS_PER_ADDRESS="2/h",
        SIGN_IN_FAILURES_PER_ADDRESS="3/h",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    manage = [sys.executable, "manage.py"]
    servers = []
    for _ in range(2):
        port = _free_port()
        process = subprocess.Popen(
            manage
            + ["runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading", "--skip-checks"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        servers.append((process, f"http://127.0.0.1:{port}"))
    for _process, base in servers:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
    yield [base for _, base in servers], codes, link_token, round_id, env
    for process, _ in servers:
        process.terminate()
        process.wait(timeout=20)


FINISH_THREE = """
from readiness.models import Facility, Instrument, Item
from tests.conftest import import_rows
items = Item.objects.filter(determinant__domain__instrument=Instrument.current())
asked = [item for item in items if not item.asked_of or "nurse" in item.asked_of]
rows = [(f"p{n}", "nurse", item.code, "4") for n in range(3) for item in asked]
import_rows(Facility.objects.get(slug="mercy"), "Spring", rows)
"""


def release_status(html: str) -> str:
    found = re.search(r'<div class="mb-3" id="release-status">(.*?)</div>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()) if found else ""


def test_two_processes_count_and_show_the_same(two_servers):
    (a, b), codes, link_token, round_id, env = two_servers
    # a dashboard, open on both servers, shows the same fresh results after people finish
    owners = [Browser(a), Browser(b)]
    for owner, code in zip(owners, codes, strict=True):
        assert owner.post("/accounts/login/", {"username": "owner", "password": "pw-owner"}) == 200
        assert owner.post("/accounts/login/code/", {"code": code}) == 200
    page = f"/facilities/mercy/rounds/{round_id}/"
    before = [release_status(owner.get(page)[1]) for owner in owners]
    assert before[0] == before[1] and before[0].startswith("To protect everyone's anonymity")
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", FINISH_THREE],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    after = [release_status(owner.get(page)[1]) for owner in owners]
    assert after[0] == after[1] and after[0].startswith("Results from 3 people.")
    # respondents started on this round from one address: 2 an hour, across both
    start = f"/r/{link_token}/"
    assert Browser(a).post(start, {"role": "nurse"}) == 200  # followed to page 1
    assert Browser(b).post(start, {"role": "nurse"}) == 200
    assert Browser(a).post(start, {"role": "nurse"}) == 429
    assert Browser(b).post(start, {"role": "nurse"}) == 429
    # failed sign-ins from one address: 3 an hour, across both
    for base, user in ((a, "x1"), (b, "x2"), (a, "x3")):
        assert Browser(base).post("/accounts/login/", {"username": user, "password": "no"}) == 200
    signing_in = Browser(b).post("/accounts/login/", {"username": "owner", "password": "pw-owner"})
    assert signing_in == 429
