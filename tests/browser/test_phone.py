"""Every page on a 390 px phone, as each kind of person meets it: the page never scrolls
sideways (a wide table scrolls inside its labelled region instead) and no chart text is
clipped at the chart's edge or written over another label."""

import pytest

from readiness.models import Network, NetworkLeader, Partner, PartnerMembership, Round
from readiness.services.facilities import close_round, create_facility, open_round
from tests.browser.conftest import DESKTOP, PHONE, owner_pages, sign_in
from tests.conftest import full_answers, import_rows, make_user, share_accepted

pytestmark = pytest.mark.browser

ROLES = ["nurse", "physician", "security", "front_desk", "legal", "manager"]

# Run in the page: every chart drawn, then what does not fit.
FIT = """
async () => {
  const charts = [...document.querySelectorAll("[data-figure]")];
  for (const chart of charts) {
    chart.scrollIntoView();
    const start = Date.now();
    while (!chart.querySelector("svg.main-svg") && Date.now() - start < 10000) {
      await new Promise(resolve => setTimeout(resolve, 50));
    }
  }
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth + 1) {
    const wide = [...document.querySelectorAll("main *")]
      .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                   && !e.closest(".table-responsive, .chart-wide"))
      .slice(0, 3).map(e => e.tagName + "." + e.className + ": " + e.textContent.slice(0, 40));
    problems.push(`page is ${root.scrollWidth}px wide: ${wide.join(" | ")}`);
  }
  for (const chart of charts) {
    if (!chart.querySelector("svg.main-svg")) {
      problems.push(`${chart.dataset.figure}: not drawn`);
      continue;
    }
    const box = chart.getBoundingClientRect();
    const left = box.left - chart.scrollLeft;
    const right = left + chart.scrollWidth;
    const texts = [...chart.querySelectorAll("svg text")]
      .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0);
    const rects = texts.map(t => t.getBoundingClientRect());
    rects.forEach((r, i) => {
      const outside = r.left < left - 1 || r.right > right + 1
        || r.top < box.top - 1 || r.bottom > box.bottom + 1;
      if (outside) {
        problems.push(`${chart.dataset.figure}: "${texts[i].textContent}" is cut at the edge`);
      }
    });
    for (let i = 0; i < rects.length; i++) {
      for (let j = i + 1; j < rects.length; j++) {
        const a = rects[i], b = rects[j];
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 2 && h > 2) {
          const [first, second] = [texts[i].textContent, texts[j].textContent];
          problems.push(`${chart.dataset.figure}: "${first}" overlaps "${second}"`);
        }
      }
    }
  }
  return problems;
}
"""


def fits(page, url) -> list[str]:
    response = page.goto(url)
    assert response.status < 400, (url, response.status)
    return [f"{url}: {problem}" for problem in page.evaluate(FIT)]


@pytest.fixture
def people(facility, instrument, owner, viewer):
    """A facility with two closed rounds and an open one, a partner it shares with, and
    a network of it and two more sites that its leader compares."""
    from io import StringIO

    from django.core.management import call_command

    call_command("load_interventions", stdout=StringIO())
    rounds = []
    for label, shift in (("Spring 2025", 0), ("Spring 2026", 1)):
        rows = []
        for n in range(18):
            rows += full_answers(
                instrument,
                f"{label}{n}",
                ROLES[n % 6],
                lambda item, n=n, shift=shift: 1 + (n + item.pk + shift) % 5,
            )
        rounds.append(import_rows(facility, label, rows).round)
        close_round(round_=rounds[-1])
    Round.objects.filter(pk=rounds[0].pk).update(opened_on="2025-04-01")
    current = open_round(facility=facility, label="Autumn 2026 with a long name")
    network = Network.objects.create(name="Community Health Network of the Valley", slug="valley")
    facility.network = network
    facility.save()
    for name in ("Riverside Family Health Center", "Northgate Clinic"):
        site = create_facility(
            name=name, slug=name.split()[0].lower(), type=facility.type, state=facility.state
        )
        site.network = network
        site.save()
        rows = []
        for n in range(9):
            rows += full_answers(
                instrument, f"{name}{n}", ROLES[n % 6], lambda item, n=n: 2 + n % 3
            )
        close_round(round_=import_rows(site, "2026", rows).round)
    NetworkLeader.objects.create(user=make_user("lead"), network=network)
    partner = Partner.objects.create(name="Immigrant Health Coalition", slug="coalition")
    PartnerMembership.objects.create(user=make_user("advocate"), partner=partner)
    share_accepted(facility=facility, partner=partner, by=owner)
    return rounds[-1], current, network, partner


def test_every_page_fits_a_phone(live_server, people, open_page):
    scored, current, network, partner = people
    base = live_server.url
    problems = []

    page, log = open_page(PHONE)
    for url in ["/", "/accounts/login/", "/accounts/password_reset/", "/help/scores/"]:
        problems += fits(page, base + url)
    problems += fits(page, base + current.respondent_link())
    # a roomy role list: each role a row a thumb can hit, with a 24 px circle
    options = page.locator(".role-list .form-check").all()
    assert len(options) >= 8  # every role of the questionnaire
    for option in options:
        assert option.bounding_box()["height"] >= 44
        circle = option.locator("input").bounding_box()
        assert circle["width"] >= 24 and circle["height"] >= 24
    page.get_by_label("Nurse", exact=True).check()
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(lambda url: "/page/1/" in url)
    problems += [f"questionnaire: {p}" for p in page.evaluate(FIT)]

    for username, urls in (
        ("owner", owner_pages(scored, current)),
        ("viewer", ["/facilities/", scored.get_absolute_url()]),
        ("advocate", [partner.get_absolute_url(), scored.get_absolute_url()]),
        (
            "lead",
            [
                network.get_absolute_url(),
                f"/networks/{network.slug}/quality/",
                scored.get_absolute_url(),
            ],
        ),
    ):
        page, log = open_page(PHONE)
        sign_in(page, base, username, f"pw-{username}")
        for url in urls:
            problems += [f"{username} {p}" for p in fits(page, base + url)]
    assert problems == [], "\n".join(problems)
    log.assert_clean()


def test_printing_a_dashboard_keeps_the_results_and_drops_the_controls(
    live_server, people, open_page
):
    scored, *_ = people
    page, log = open_page(DESKTOP)
    sign_in(page, live_server.url, "owner", "pw-owner")
    page.goto(live_server.url + scored.get_absolute_url())
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    for figure in ("determinant-figure", "trend-figure", "role-figure"):
        chart = page.locator(f"[data-figure='{figure}'] svg.main-svg").first
        chart.wait_for(state="attached")
        # redrawn at the paper's width, not the screen's
        page.wait_for_function(
            f"document.querySelector(\"[data-figure='{figure}'] svg.main-svg\")"
            ".getAttribute('width') <= 680"
        )
    assert not page.locator(".site-header").is_visible()
    assert not page.locator("footer").is_visible()
    assert page.locator("a", has_text="Add to plan").count() > 0
    for link in page.locator("a", has_text="Add to plan").all():
        assert not link.is_visible()
    # the tables behind "Show the numbers" are open on paper
    assert page.locator("#determinant-table").is_visible()
    assert page.locator("#role-table").is_visible()
    log.assert_clean()
