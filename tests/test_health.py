"""The health check load balancers ask (GET /health/), and gunicorn run with the
repository's configuration as docs/security.md says to run it."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from unittest import mock

from django.db import connection

from tests.conftest import ROOT


def test_the_health_check_answers_any_host_and_says_what_it_checked(client, db):
    # a balancer asks by address, not by the site's name
    response = client.get("/health/", HTTP_HOST="10.0.0.7")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert not response.cookies  # no session is started or read


def test_the_health_check_fails_when_the_database_does_not_answer(client, db):
    with mock.patch.object(connection, "cursor", side_effect=OSError("connection refused")):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "failing", "cache": "ok"}


def test_the_health_check_fails_when_the_cache_does_not_answer(client, db):
    from django.core.cache import cache

    with mock.patch.object(cache, "get", side_effect=ConnectionError("redis is down")):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "cache": "failing"}


def test_gunicorn_runs_with_the_repositorys_configuration_in_production_mode(tmp_path):
    """The configuration file loads, the app serves through it, and the balancer's check
    answers over plain HTTP where every page is redirected to HTTPS."""
    from readiness.perf.server import NoRedirect, Server, production_env

    database = f"sqlite:///{tmp_path / 'health.sqlite3'}"
    env = production_env() | {"DATABASE_URL": database}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    settings = {"DATABASE_URL": database, "SECURE_SSL_REDIRECT": "true"}
    with Server(env=settings, static=False) as server:
        url = server.url + "/health/"
        request = urllib.request.Request(url, headers={"Host": "10.0.0.7"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert (response.status, json.loads(response.read())["status"]) == (200, "ok")
        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(server.url + "/accounts/login/", timeout=10)
            redirected = None
        except urllib.error.HTTPError as error:
            redirected = (error.code, error.headers["Location"])
        assert redirected == (301, f"https://127.0.0.1:{server.port}/accounts/login/")


def test_a_postgresql_database_that_does_not_answer_fails_within_seconds():
    """So that the health check says 503 rather than a worker waiting until gunicorn kills
    it."""
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import readiness.settings as s; print(s.DATABASES['default']['OPTIONS'])",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": "postgres://someone@db.invalid:5432/readiness"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == "{'connect_timeout': 5}"
