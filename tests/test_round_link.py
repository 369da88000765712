"""A link that is easy to hand out: the short link, its QR code, the message to paste,
the printable flyer, and the link again on a dashboard still waiting for answers."""

import importlib
import re
from html.parser import HTMLParser

import pytest
import segno
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from readiness import models
from readiness.models import (
    SHORT_CODE_ALPHABET,
    SHORT_CODE_LENGTH,
    Membership,
    Respondent,
    Role,
    Round,
    new_short_code,
)
from readiness.views import questionnaire
from tests.conftest import full_answers, import_rows, make_partner, make_user
from tests.pages import element, elements, text_of

LOOK_ALIKES = set("0oO1lLiI")


def stylesheets(html: str) -> list[str]:
    class Links(HTMLParser):
        hrefs: list[str] = []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "link" and attrs.get("rel") == "stylesheet":
                self.hrefs.append(attrs["href"])

    parser = Links()
    parser.hrefs = []
    parser.feed(html)
    return parser.hrefs


def short_url(round_) -> str:
    return "http://testserver" + round_.short_link()


def hand_out_url(round_):
    return reverse("round-hand-out", args=[round_.facility.slug, round_.pk])


def flyer_url(round_):
    return reverse("round-flyer", args=[round_.facility.slug, round_.pk])


@pytest.fixture
def editor(facility):
    user = make_user("editor")
    Membership.objects.create(user=user, facility=facility, level=Membership.Level.EDITOR)
    return user


# --- The short code --------------------------------------------------------------------


def test_the_alphabet_has_no_look_alikes_and_no_capitals():
    assert not LOOK_ALIKES & set(SHORT_CODE_ALPHABET)
    assert SHORT_CODE_ALPHABET == SHORT_CODE_ALPHABET.lower()
    assert len(set(SHORT_CODE_ALPHABET)) == len(SHORT_CODE_ALPHABET) == 31
    assert SHORT_CODE_LENGTH >= 10


def test_short_codes_use_only_the_alphabet_at_the_required_length():
    codes = {new_short_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == SHORT_CODE_LENGTH
        assert set(code) <= set(SHORT_CODE_ALPHABET), code


def test_a_round_gets_a_short_code_shown_in_groups(open_round_):
    code = open_round_.short_code
    assert len(code) == SHORT_CODE_LENGTH and set(code) <= set(SHORT_CODE_ALPHABET)
    assert open_round_.grouped_short_code == f"{code[:4]}-{code[4:8]}-{code[8:]}"
    assert open_round_.short_link() == "/s/" + open_round_.grouped_short_code


# --- The short link leads to the start page ------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: f"{code[:4]}-{code[4:8]}-{code[8:]}",  # as shown
        lambda code: code,  # without dashes
        lambda code: f"{code[:4]}-{code[4:8]}-{code[8:]}".upper(),  # capitals
        lambda code: code.upper(),
        lambda code: f"{code[:6]}-{code[6:]}",  # dashes elsewhere
        lambda code: f"{code[:4]}-{code[4:8]}-{code[8:]}/",  # with a slash
    ],
    ids=["grouped", "no-dashes", "upper", "upper-no-dashes", "other-dashes", "slash"],
)
def test_the_short_link_as_typed_reaches_the_rounds_start_page(open_round_, client, typed):
    response = client.get("/s/" + typed(open_round_.short_code))
    assert response.status_code == 302
    assert response["Location"] == open_round_.respondent_link()
    assert "no-store" in response["Cache-Control"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.resolver_match.url_name == "respondent-start"
    assert page.context["round"].pk == open_round_.pk


def test_a_short_link_leads_to_its_own_round(open_round_, facility, client):
    from readiness.services.facilities import open_round

    other = open_round(facility=facility, label="Second campus", alongside_open=True)
    response = client.get(other.short_link(), follow=True)
    assert response.context["round"].pk == other.pk


@pytest.mark.parametrize("code", ["k7m4-p9qx-dw", "k7m4p9qxdw3nz", "k7m4-p9qx-0w3n"])
def test_codes_of_the_wrong_length_or_alphabet_are_404(db, client, code):
    assert client.get("/s/" + code).status_code == 404


def test_an_unknown_short_code_is_404(open_round_, client):
    unknown = "2" * SHORT_CODE_LENGTH
    assert unknown != open_round_.short_code
    assert client.get("/s/" + unknown).status_code == 404


def test_a_closed_rounds_short_link_says_it_is_closed(open_round_, owner, client):
    client.force_login(owner)
    args = [open_round_.facility.slug, open_round_.pk]
    client.post(reverse("round-close", args=args), {"confirm": "yes"})
    response = client.get(open_round_.short_link(), follow=True)
    assert response.status_code == 410  # as the long link (tests/test_questionnaire.py)


def test_known_codes_are_never_counted_and_an_address_out_of_misses_is_stopped(
    open_round_, client, monkeypatch
):
    monkeypatch.setattr(questionnaire.starting, "SHORT_LINK_MISSES_PER_ADDRESS", "3/h")
    for _ in range(10):
        assert client.get(open_round_.short_link()).status_code == 302
    for n in range(3):
        assert client.get("/s/" + f"{n + 2}" * SHORT_CODE_LENGTH).status_code == 404
    # the address used up its misses: no more looking up, the right code neither
    assert client.get("/s/" + "9" * SHORT_CODE_LENGTH).status_code == 429
    assert client.get(open_round_.short_link()).status_code == 429
    other_address = client.get(open_round_.short_link(), REMOTE_ADDR="203.0.113.9")
    assert other_address.status_code == 302


# --- Replacing the link replaces the short one ------------------------------------------


def _start_from(client, url, round_):
    """Follow a short or long link to the start page and choose a role there."""
    page = client.get(url, follow=True)
    assert page.status_code == 200, page.status_code
    role = Role.objects.get(instrument=round_.instrument, code="nurse")
    final = page.redirect_chain[-1][0] if page.redirect_chain else url
    return client.post(final, {"role": role.pk, "nonce": new_short_code() * 3})


def test_after_replacing_the_link_the_old_short_link_stops_and_the_new_one_starts(
    open_round_, owner, client
):
    old_short, old_long = open_round_.short_link(), open_round_.respondent_link()
    client.force_login(owner)
    args = [open_round_.facility.slug, open_round_.pk]
    assert client.post(reverse("round-link-replace", args=args), {"confirm": "yes"}).status_code
    open_round_.refresh_from_db()
    assert open_round_.short_link() != old_short
    assert open_round_.respondent_link() != old_long

    client.logout()
    # the old short link stops exactly like the old long link
    assert client.get(old_long).status_code == 404
    assert client.get(old_short).status_code == 404
    assert client.get(old_short.upper().replace("/S/", "/s/")).status_code == 404
    assert not Respondent.objects.exists()

    started = _start_from(client, open_round_.short_link(), open_round_)
    assert started.status_code == 302
    assert re.search(r"/a/[A-Za-z0-9_-]+/page/1/", started["Location"])
    assert Respondent.objects.get().round_id == open_round_.pk


def test_asking_to_replace_the_link_changes_nothing_yet(open_round_, owner, client):
    code = open_round_.short_code
    client.force_login(owner)
    args = [open_round_.facility.slug, open_round_.pk]
    client.post(reverse("round-link-replace", args=args))  # the confirmation page only
    open_round_.refresh_from_db()
    assert open_round_.short_code == code


# --- The hand-out page: link, QR code, message ---------------------------------------------


def test_the_hand_out_page_shows_the_short_link_to_copy(open_round_, owner, client):
    client.force_login(owner)
    html = client.get(hand_out_url(open_round_)).content.decode()
    field = element(html, "short-link")
    assert field["value"] == short_url(open_round_)
    assert "readonly" in field
    assert elements(html, "short-link-heading")[0][0] == "h2"


def test_the_qr_code_is_segnos_code_of_the_short_link_with_a_name(open_round_, owner, client):
    client.force_login(owner)
    html = client.get(hand_out_url(open_round_)).content.decode()
    inside = elements(html, "qr-code")
    svgs = [attrs for tag, attrs in inside if tag == "svg"]
    assert len(svgs) == 1
    svg = svgs[0]
    assert svg["role"] == "img"
    assert short_url(open_round_) in svg["aria-label"]
    drawn = [attrs["d"] for tag, attrs in inside if tag == "path" and "stroke" in attrs]
    expected = segno.make_qr(short_url(open_round_), error="m").svg_inline(border=4)
    assert drawn and drawn == re.findall(r'<path[^>]* stroke="#000" d="([^"]+)"', expected)
    # no image from elsewhere: the code is drawn in the page
    assert not [tag for tag, _ in inside if tag in ("img", "image", "use")]


def test_the_message_holds_the_short_link_and_what_it_is(open_round_, owner, client):
    client.force_login(owner)
    html = client.get(hand_out_url(open_round_)).content.decode()
    box = element(html, "hand-out-message-en")
    assert "readonly" in box
    assert elements(html, "hand-out-message-en")[0][0] == "textarea"
    message = text_of(html, "hand-out-message-en")
    assert short_url(open_round_) in message.split()
    assert open_round_.facility.name in message
    assert "anonymous" in message
    assert "about 10 minutes" in message  # the start page's own figure
    assert "at least 3 people" in message


def test_the_message_keeps_its_lines_for_pasting(open_round_, owner, client):
    client.force_login(owner)
    response = client.get(hand_out_url(open_round_))
    message = response.context["hand_outs"][0].message
    assert short_url(open_round_) in message.splitlines()
    assert "\n\n" in message


def test_the_hand_out_page_links_to_the_flyer(open_round_, owner, client):
    client.force_login(owner)
    html = client.get(hand_out_url(open_round_)).content.decode()
    assert element(html, "flyer-open-en")["href"] == flyer_url(open_round_) + "?language=en"
    assert text_of(html, "flyer-open-en") == "Open the flyer to print (English)"


def test_copy_buttons_start_hidden_for_visitors_without_scripts(open_round_, owner, client):
    client.force_login(owner)
    html = client.get(hand_out_url(open_round_)).content.decode()
    buttons = [
        attrs
        for tag, attrs in elements(html, "main")
        if tag == "button" and "data-copy-target" in attrs
    ]
    assert {b["data-copy-target"] for b in buttons} == {"short-link", "hand-out-message-en"}
    assert all("hidden" in b for b in buttons)


def test_a_closed_round_has_nothing_to_hand_out(open_round_, owner, client):
    client.force_login(owner)
    args = [open_round_.facility.slug, open_round_.pk]
    client.post(reverse("round-close", args=args), {"confirm": "yes"})
    for url in (hand_out_url(open_round_), flyer_url(open_round_)):
        html = client.get(url).content.decode()
        assert text_of(html, "hand-out-closed")
        assert element(html, "short-link") is None
        assert element(html, "qr-code") is None and element(html, "flyer-qr") is None
        assert element(html, "flyer-link") is None


def test_the_facility_page_leads_to_the_hand_out_page(open_round_, owner, viewer, client):
    client.force_login(owner)
    html = client.get(open_round_.facility.get_absolute_url()).content.decode()
    assert element(html, f"hand-out-{open_round_.pk}")["href"] == hand_out_url(open_round_)
    client.force_login(viewer)
    html = client.get(open_round_.facility.get_absolute_url()).content.decode()
    assert element(html, f"hand-out-{open_round_.pk}") is None


# --- The flyer ---------------------------------------------------------------------------


def test_the_flyer_has_the_facility_the_qr_code_and_the_link_in_large_type(
    open_round_, owner, client
):
    client.force_login(owner)
    html = client.get(flyer_url(open_round_)).content.decode()
    assert text_of(html, "flyer-facility") == open_round_.facility.name
    assert elements(html, "flyer-title")[0][0] == "h1"
    assert text_of(html, "flyer-link") == short_url(open_round_)
    explanation = text_of(html, "flyer-explanation")
    assert explanation.count(". ") == 1 and explanation.endswith(".")  # two sentences
    assert "anonymous" in text_of(html, "flyer-promise")
    svgs = [attrs for tag, attrs in elements(html, "flyer-qr") if tag == "svg"]
    assert len(svgs) == 1 and short_url(open_round_) in svgs[0]["aria-label"]
    assert "width" not in svgs[0]  # sized by the flyer's stylesheet, large


def test_only_the_flyer_loads_the_print_stylesheet(open_round_, owner, client):
    client.force_login(owner)
    flyer = stylesheets(client.get(flyer_url(open_round_)).content.decode())
    hand_out = stylesheets(client.get(hand_out_url(open_round_)).content.decode())
    assert [href for href in flyer if href.endswith("readiness/css/flyer.css")]
    assert not [href for href in hand_out if href.endswith("flyer.css")]


@pytest.mark.browser
def test_in_a_browser_the_flyer_prints_on_one_page_and_the_pages_pass_axe(
    live_server, open_round_, owner
):
    """Debian's Chromium (tests/browser/conftest.py): the flyer printed to PDF is one page
    on US Letter and on A4 with the site's header and footer hidden; axe-core finds
    nothing on the hand-out page, the flyer and the empty dashboard; the copy buttons
    appear with scripts; the CSP reports nothing."""
    from tests.browser.conftest import (
        CHROMIUM,
        CHROMIUM_FLAGS,
        _browser_required,
        axe_violations,
        sign_in,
    )

    if CHROMIUM is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if _browser_required():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    base = live_server.url
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page()
            errors = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            sign_in(page, base, "owner", "pw-owner")
            for url in (hand_out_url(open_round_), open_round_.get_absolute_url()):
                page.goto(base + url)
                assert axe_violations(page) == [], url
            page.goto(base + hand_out_url(open_round_))
            assert page.get_by_role("button", name="Copy message").is_visible()
            assert page.get_by_role("img", name=re.compile("QR code")).is_visible()

            page.goto(base + flyer_url(open_round_))
            assert axe_violations(page) == []
            page.emulate_media(media="print")
            for hidden in (".site-header", "footer", "#flyer-print-hint"):
                assert not page.locator(hidden).is_visible(), hidden
            assert page.locator("#flyer-qr svg").is_visible()
            for paper in ("Letter", "A4"):
                pdf = page.pdf(format=paper)
                assert re.findall(rb"/Type\s*/Pages\b.*?/Count (\d+)", pdf, re.S) == [b"1"]
                assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1, paper
            assert errors == []
        finally:
            browser.close()


def test_the_print_stylesheet_hides_everything_but_the_flyer():
    from django.contrib.staticfiles import finders

    css = open(finders.find("readiness/css/flyer.css"), encoding="utf-8").read()
    printed = css[css.index("@media print") :]
    for hidden in (".site-header", "footer", ".skip-link", ".d-print-none"):
        assert hidden in printed.split("display: none")[0], hidden
    assert "color: #000" in printed


# --- Who may hand out the link -------------------------------------------------------------


@pytest.mark.parametrize("url_of", [hand_out_url, flyer_url], ids=["hand-out", "flyer"])
def test_only_members_who_manage_rounds_open_the_hand_out_pages(
    open_round_, owner, editor, viewer, outsider, other_facility, client, url_of
):
    url = url_of(open_round_)
    assert client.get(url)["Location"].startswith(reverse("login"))
    _, partner_member = make_partner(open_round_.facility, by=owner)
    for user, status in [
        (owner, 200),
        (editor, 200),
        (viewer, 403),
        (partner_member, 403),
        (outsider, 404),
    ]:
        client.force_login(user)
        assert client.get(url).status_code == status, user.username


# --- The link again on a dashboard still waiting for answers ----------------------------------


def test_an_empty_dashboard_shows_the_link_to_managers_only(open_round_, owner, viewer, client):
    client.force_login(owner)
    html = client.get(open_round_.get_absolute_url()).content.decode()
    assert text_of(html, "hand-out-short-link") == short_url(open_round_)
    assert element(html, "hand-out-page-link")["href"] == hand_out_url(open_round_)
    assert elements(html, "hand-out-heading")[0][0] == "h2"
    client.force_login(viewer)
    html = client.get(open_round_.get_absolute_url()).content.decode()
    assert element(html, "hand-out") is None


def test_the_link_block_goes_once_results_are_shown_or_the_round_closes(
    facility, owner, instrument, client
):
    rows = [
        row for n in range(3) for row in full_answers(instrument, f"p{n}", "nurse", lambda i: 4)
    ]
    round_ = import_rows(facility, "Imported", rows).round
    Round.objects.filter(pk=round_.pk).update(status=Round.Status.OPEN)
    client.force_login(owner)
    response = client.get(round_.get_absolute_url())
    assert response.context["status"].published >= response.context["status"].minimum
    assert element(response.content.decode(), "hand-out") is None

    empty = import_rows(facility, "Closed", [("q1", "nurse", "LEGAL-1", 4)]).round
    Round.objects.filter(pk=empty.pk).update(status=Round.Status.CLOSED)
    response = client.get(empty.get_absolute_url())
    assert response.context["status"].published < response.context["status"].minimum
    assert element(response.content.decode(), "hand-out") is None


# --- The data migration ----------------------------------------------------------------------

MIGRATION = importlib.import_module("readiness.migrations.0013_round_short_code")
BEFORE = [("readiness", "0012_longer_sources")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_existing_round_a_distinct_code(monkeypatch):
    """Rounds made before the short link get one each, distinct even when the random
    draw repeats itself."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    instrument = old.get_model("readiness", "Instrument").objects.create(
        version="t", title="T", content_hash="0" * 64
    )
    facility = old.get_model("readiness", "Facility").objects.create(
        name="Old", slug="old", type="fqhc", state="CA"
    )
    OldRound = old.get_model("readiness", "Round")
    for n in range(4):
        OldRound.objects.create(
            facility=facility, instrument=instrument, label=f"R{n}", link_token=f"{n}" * 43
        )

    first = new_short_code()
    draws = iter([first, first, first, *(new_short_code() for _ in range(10))])
    calls = []

    def repeating():
        calls.append(1)
        return next(draws)

    monkeypatch.setattr(models, "new_short_code", repeating)
    executor = MigrationExecutor(connection)
    executor.migrate([("readiness", "0013_round_short_code")])

    codes = list(Round.objects.values_list("short_code", flat=True))
    assert len(codes) == 4 and len(set(codes)) == 4
    assert first in codes
    assert len(calls) == 6  # the two repeats were drawn again
    monkeypatch.undo()
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to today's schema
    for code in codes:
        assert len(code) == SHORT_CODE_LENGTH and set(code) <= set(SHORT_CODE_ALPHABET)
    assert MIGRATION.fill_short_codes.__module__.endswith("0013_round_short_code")
