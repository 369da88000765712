"""Measured through gunicorn, as people get the pages: times, transfer sizes, and
Lighthouse's scores on a phone profile."""

import json
import os
import subprocess

from django.conf import settings
from django.urls import reverse

from readiness.perf import seed
from readiness.perf.bench.fixture import LEADER, Fixture
from readiness.perf.bench.in_process import (
    dashboards_after_new_answers,
    page_post_data,
    scale_pages,
)
from readiness.perf.bench.timing import REQUESTS, SLOW_REQUESTS, Timing, time_all
from readiness.perf.server import Server, Session

# Lighthouse (package.json pins it) on a phone profile, driving Debian's Chromium.
LIGHTHOUSE = settings.BASE_DIR / "node_modules" / ".bin" / "lighthouse"


def measure_server(fx: Fixture, server: Server) -> dict[str, Timing]:
    staff = Session(server.url)
    staff.sign_in()
    respondent = Session(server.url)
    round_, token = fx.pages[10]
    page = reverse("respondent-page", args=[token, 1])
    respondent.get(page)
    values = iter(range(10**9))
    return (
        time_all(
            {
                "sign-in page": lambda: Session(server.url).get("/accounts/login/"),
                "dashboard, 40 respondents": lambda: staff.get(
                    fx.dashboards[40].get_absolute_url()
                ),
                "dashboard, 400 respondents": lambda: staff.get(
                    fx.dashboards[400].get_absolute_url()
                ),
                "questionnaire page": lambda: respondent.get(page),
                "page save": lambda: respondent.post(
                    page, page_post_data(round_, 1 + next(values) % 5)
                ),
            }
        )
        | time_all(dashboards_after_new_answers(fx, staff.get), n=REQUESTS // 2)
        | time_all(
            scale_pages(
                fx,
                lambda username: _session_for(server, username).get,
                staff.get,
                Session(server.url).post_anew,
            ),
            n=SLOW_REQUESTS,
        )
    )


def _session_for(server: Server, username: str) -> "Session":
    session = Session(server.url)
    session.sign_in(username)
    return session


def transfer_sizes(fx: Fixture, server: Server) -> dict[str, tuple[int, int]]:
    """Bytes on the wire (compressed, headers included) for a first and a repeat visit."""
    from playwright.sync_api import sync_playwright

    from readiness.perf.chromium import CHROMIUM, CHROMIUM_FLAGS

    if CHROMIUM is None:
        return {}
    results = {}
    # Before Playwright's event loop starts: the ORM refuses to run inside it.
    code = seed.bench_code()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        for name, path, staff in [
            ("dashboard", fx.dashboards[40].get_absolute_url(), True),
            ("questionnaire page", reverse("respondent-page", args=[fx.pages[10][1], 1]), False),
        ]:
            context = browser.new_context()
            page = context.new_page()
            if staff:
                page.goto(server.url + "/accounts/login/")
                page.fill("#id_username", seed.BENCH_USER)
                page.fill("#id_password", seed.BENCH_PASSWORD)
                page.click("main button[type=submit]")  # not the language switcher's
                page.wait_for_url(server.url + "/accounts/login/code/")
                page.fill("#id_code", code)
                page.click("main button[type=submit]")  # not the language switcher's
                page.wait_for_load_state("networkidle")
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.clearBrowserCache")
            received = []
            cdp.on(
                "Network.loadingFinished",
                lambda e, received=received: received.append(e["encodedDataLength"]),
            )
            page.goto(server.url + path, wait_until="networkidle")
            first = sum(received)
            received.clear()
            page.goto(server.url + path, wait_until="networkidle")
            results[name] = (first, sum(received))
            context.close()
        browser.close()
    return results


def lighthouse_scores(fx: Fixture, server: Server) -> dict[str, dict]:
    """Lighthouse's mobile performance and accessibility scores (0-100) and its main
    metrics, in production mode (compressed, cached static files), for the pages the
    issue names. Empty without Chromium or without the npm package."""
    from readiness.perf.chromium import CHROMIUM

    if CHROMIUM is None or not LIGHTHOUSE.exists():
        return {}
    staff, leader = Session(server.url), Session(server.url)
    staff.sign_in()
    leader.sign_in(LEADER)
    pages = [
        ("sign-in page", "/accounts/login/", None),
        ("questionnaire page", reverse("respondent-page", args=[fx.pages[10][1], 1]), None),
        ("dashboard", fx.dashboards[40].get_absolute_url(), staff),
        ("network page", fx.network.get_absolute_url(), leader),
    ]
    results = {}
    for name, path, session in pages:
        command = [
            str(LIGHTHOUSE),
            server.url + path,
            "--output=json",
            "--output-path=stdout",
            "--quiet",
            "--only-categories=performance,accessibility",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ]
        if session is not None:
            command.append("--extra-headers=" + json.dumps({"Cookie": session.cookie_header}))
        done = subprocess.run(  # noqa: S603 - our own pinned tool, our own URL
            command,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "CHROME_PATH": CHROMIUM},
            check=False,
        )
        if done.returncode:  # reported as missed, with why, rather than losing the run
            results[name] = {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
            continue
        found = json.loads(done.stdout)
        audits = found["audits"]
        results[name] = {
            "performance": round(found["categories"]["performance"]["score"] * 100),
            "accessibility": round(found["categories"]["accessibility"]["score"] * 100),
            "fcp": audits["first-contentful-paint"]["numericValue"],
            "lcp": audits["largest-contentful-paint"]["numericValue"],
            "tbt": audits["total-blocking-time"]["numericValue"],
        }
    return results
