"""Real-browser tests: Debian's Chromium driven by Playwright for Python.

Chromium comes from Debian's package (`apt-get install chromium`), never from a browser
download. Without it these tests are skipped on a developer's machine and fail in CI
(CI=true, or REQUIRE_BROWSER=1), where .ci/run always installs it.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from readiness.perf.chromium import CHROMIUM, CHROMIUM_FLAGS

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _browser_required() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="package")
def chromium():
    """One browser for the tests of this package, closed when they are done.

    Playwright's sync API keeps an event loop running in the test thread while it is
    open, so Django's async-safety check is relaxed for exactly that time: the ORM calls
    the tests make around the browser are ordinary synchronous calls.
    """
    if CHROMIUM is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if _browser_required():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        # Playwright gives every launch a fresh, empty user-data directory.
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@dataclass
class PageLog:
    """What a browser context did: every request it made and every console error."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self):
        assert self.errors == [], self.errors
        foreign = [url for url in self.requests if urlsplit(url).hostname not in LOCAL_HOSTS]
        assert foreign == [], foreign
        assert self.requests, "no request was recorded"


@pytest.fixture
def open_page(chromium):
    """open_page(viewport, locale) -> (page, log); each call is a new context, like a new
    device."""
    contexts = []
    log = PageLog()

    def open_(viewport=DESKTOP, locale="en-US"):
        # The app's Content-Security-Policy stays on: a violation is a console error.
        # ``locale``: the browser's language, which it prefers in Accept-Language.
        context = chromium.new_context(viewport=viewport, locale=locale)
        context.on("request", lambda request: log.requests.append(request.url))
        page = context.new_page()
        page.on(
            "console",
            lambda message: log.errors.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: log.errors.append(str(error)))
        contexts.append(context)
        return page, log

    yield open_
    for context in contexts:
        context.close()


def axe_violations(page) -> list[str]:
    """Run axe-core (from node_modules, pinned in package-lock.json) on the page.

    Evaluated through the DevTools protocol, which the page's CSP does not govern, so the
    policy the app sends stays in force for everything else.

    Waits for the page to load first: after a click that submits a form, Playwright
    returns once the next page has committed, and axe run on a document with nothing
    parsed yet fails on its missing root element (seen once in CI on a fast machine)."""
    page.wait_for_load_state("load")
    page.evaluate(_axe_source())
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in violations
    ]


def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def sign_in(page, base_url, username, password):
    """Sign in, both steps, and wait for the person's start page (views/home.py: their
    facilities, their network or their partner's portfolio). The account gets an
    authenticator app first if it has none (tests/browser/test_two_factor.py sets one up
    through the pages)."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.clients import code_now, with_app

    user = get_user_model().objects.get(username=username)
    app = TOTPDevice.objects.filter(user=user, confirmed=True).first() or with_app(user)
    # a code works once; the same account may sign in again within its 30 seconds
    TOTPDevice.objects.filter(pk=app.pk).update(last_t=-1)
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base_url}/accounts/login/code/")
    page.fill("#id_code", code_now(app))
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url and url.rstrip("/") != base_url)


def answer_page(page, value: str):
    """Choose `value` for every statement on the current questionnaire page.

    Waits until the page is parsed whole: a click on "Save and continue" returns once the
    next page has committed, and eval_on_selector_all does not wait for what it reads."""
    page.wait_for_load_state("domcontentloaded")
    names = page.eval_on_selector_all(
        "fieldset.item input[type=radio][value='1']", "inputs => inputs.map(i => i.name)"
    )
    assert names, "no statements on this page"
    for name in names:
        page.check(f"input[name='{name}'][value='{value}']")


def draw_chart(page, figure: str):
    """Bring a chart into view and wait until it is drawn: charts.js draws each chart,
    and fetches the chart library, only when the chart comes near the screen."""
    chart = page.locator(f"[data-figure='{figure}']")
    chart.scroll_into_view_if_needed()
    chart.locator("svg.main-svg").first.wait_for()


def owner_pages(scored, current) -> list[str]:
    """The pages an owner of ``scored``'s facility reads (a round with results, and
    ``current`` still open): each must pass axe and fit a phone."""
    facility = scored.facility
    slug = facility.slug
    return [
        "/facilities/",
        "/facilities/new/",
        facility.get_absolute_url(),
        scored.get_absolute_url(),
        current.get_absolute_url(),
        f"/facilities/{slug}/members/",
        f"/facilities/{slug}/audit/",
        f"/facilities/{slug}/plan/",
        f"/facilities/{slug}/interventions/",
    ]
