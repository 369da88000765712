"""axe-core on every page of the core loop, signed in and not: zero violations of any
impact, best-practice rules (landmarks, headings, regions) included."""

import re

import pytest

from readiness.services.facilities import close_round, open_round
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    answer_page,
    axe_violations,
    draw_chart,
    owner_pages,
    sign_in,
)
from tests.conftest import full_answers, import_rows

pytestmark = pytest.mark.browser


@pytest.fixture
def rounds(facility, instrument):
    from io import StringIO

    from django.core.management import call_command

    call_command("load_interventions", stdout=StringIO())
    rows = []
    for n, role in enumerate(["nurse", "physician", "security"] * 3):
        rows += full_answers(instrument, f"p{n}", role, lambda item, n=n: 1 + (n + item.pk) % 5)
    rows += full_answers(instrument, "x", "legal", lambda item: "DK")
    scored = import_rows(facility, "Spring 2025", rows).round
    current = open_round(facility=facility, label="Spring 2026", alongside_open=True)
    closed = open_round(facility=facility, label="Closed one", alongside_open=True)
    close_round(round_=closed)
    return scored, current, closed


def check(page, url, base):
    page.goto(base + url if url.startswith("/") else url)
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_staff_pages(live_server, rounds, owner, open_page, viewport):
    scored, current, _ = rounds
    page, log = open_page(viewport)
    base = live_server.url
    for url in ["/", "/accounts/login/", "/accounts/password_reset/"]:
        check(page, url, base)
    page.goto(base + "/accounts/login/")
    page.click("main button[type=submit]")  # empty form: errors shown
    page.locator("main .invalid-feedback, main .alert-danger").first.wait_for()
    assert axe_violations(page) == []
    sign_in(page, base, "owner", "pw-owner")
    slug = scored.facility.slug
    for url in [
        *owner_pages(scored, current),
        f"/facilities/{slug}/rounds/{scored.pk}/plan/add/"
        f"?strategy={scored.instrument.strategies.first().pk}",
        f"/facilities/{slug}/delete/",
        f"/facilities/{slug}/rounds/{scored.pk}/delete/",
        "/accounts/password_change/",
    ]:
        check(page, url, base)
    # the dashboard's disclosures opened, and a form with errors
    page.goto(base + scored.get_absolute_url())
    draw_chart(page, "role-figure")
    # every disclosure opened, the nested ones too ("What the columns mean" sits inside
    # "Show the numbers"). Set, not clicked: a chart drawn as the page scrolls to a
    # summary can move the next one from under a click on a slow machine.
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    assert page.locator("#determinant-table").is_visible()
    assert axe_violations(page) == []
    page.goto(base + "/facilities/new/")
    page.get_by_role("button", name="Add facility").click()
    assert axe_violations(page) == []
    log.assert_clean()


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two CSS rgb()/rgba() colours."""

    def luminance(css: str) -> float:
        red, green, blue = (int(v) for v in re.findall(r"\d+", css)[:3])

        def channel(value):
            value /= 255
            return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_respondent_pages(live_server, rounds, open_page, viewport):
    _, current, closed = rounds
    page, log = open_page(viewport)
    base = live_server.url
    check(page, current.respondent_link(), base)
    page.get_by_role("button", name="Start").click()  # no role chosen: error
    page.locator("#role-error").wait_for()
    assert axe_violations(page) == []
    page.get_by_label("Nurse", exact=True).check()
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r"/page/1/"))
    assert axe_violations(page) == []
    # answer circles people can see and hit: 24 px at least, border 3:1 against the page
    circle = page.locator(".scale .form-check-input").first
    box = circle.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    border, background = circle.evaluate(
        """element => [getComputedStyle(element).borderTopColor,
                       getComputedStyle(document.body).backgroundColor]"""
    )
    assert contrast(border, background) >= 3
    page.get_by_role("button", name="Save and continue").click()  # nothing answered
    page.locator("#error-summary").wait_for()  # visible: wait_for's default state
    assert axe_violations(page) == []
    for number in range(1, 6):
        answer_page(page, "4")
        page.get_by_role(
            "button", name="Submit my answers" if number == 5 else "Save and continue"
        ).click()
        assert axe_violations(page) == [], page.url
    page.get_by_role("heading", name="Thank you").wait_for()
    check(page, closed.respondent_link(), base)
    # the closed page answers 410 on purpose; that console line is expected
    log.errors = [e for e in log.errors if "410" not in e]
    log.assert_clean()


def test_partner_and_invitation_pages(live_server, rounds, owner, open_page):
    from readiness.models import Partner, PartnerMembership
    from readiness.services.access import invite_member
    from tests.conftest import make_user, share_accepted

    scored, _, _ = rounds
    partner = Partner.objects.create(name="Coalition", slug="coalition")
    member = make_user("advocate")
    PartnerMembership.objects.create(user=member, partner=partner)
    share_accepted(facility=scored.facility, partner=partner, by=owner)
    invited = invite_member(
        facility=scored.facility, email="new@example.org", level="viewer", by=owner
    )
    page, log = open_page(DESKTOP)
    check(page, f"/invitations/{invited.token}/", live_server.url)
    sign_in(page, live_server.url, "advocate", "pw-advocate")
    check(page, partner.get_absolute_url(), live_server.url)
    draw_chart(page, "portfolio-figure")
    assert axe_violations(page) == []
    check(page, scored.get_absolute_url(), live_server.url)
    log.assert_clean()


def test_network_comparison_page(live_server, rounds, open_page):
    from readiness.models import Network, NetworkLeader
    from tests.conftest import make_user

    scored, _, _ = rounds
    close_round(round_=scored)  # the network compares closed rounds unless asked
    network = Network.objects.create(name="Network", slug="network")
    scored.facility.network = network
    scored.facility.save()
    NetworkLeader.objects.create(user=make_user("lead"), network=network)
    page, log = open_page(DESKTOP)
    sign_in(page, live_server.url, "lead", "pw-lead")
    page.goto(live_server.url + network.get_absolute_url())
    draw_chart(page, "comparison-figure")
    assert axe_violations(page) == []
    page.get_by_role("link", name="How good the questions are: reliability of each area").click()
    page.locator("#quality-table").wait_for()
    assert axe_violations(page) == []
    log.assert_clean()
