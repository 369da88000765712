"""The core loop as its users meet it, in Chromium."""

import re

import pytest

from readiness.models import Respondent, Round
from tests.browser.conftest import DESKTOP, PHONE, answer_page, axe_violations, draw_chart, sign_in

pytestmark = pytest.mark.browser


def start_as(page, link, role_name):
    page.goto(link)
    page.get_by_label(role_name, exact=True).check()
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r"/a/[0-9a-f]+/page/1/"))


def next_page(page):
    page.get_by_role("button", name="Save and continue").click()


def test_administrator_opens_a_round_and_three_people_answer(
    live_server, facility, owner, instrument, open_page
):
    admin, log = open_page(DESKTOP)
    sign_in(admin, live_server.url, "owner", "pw-owner")
    admin.get_by_role("link", name="Mercy Clinic").click()
    admin.get_by_label("Name of this round").fill("Spring 2026")
    admin.get_by_role("button", name="Open round").click()
    link = admin.get_by_label("Link for staff (send the same link to everyone)").input_value()
    assert link.startswith(live_server.url + "/r/")

    # A nurse answers all five pages on her phone.
    nurse, _ = open_page(PHONE)
    start_as(nurse, link, "Nurse")
    for number in range(1, 6):
        answer_page(nurse, "2")
        if number < 5:
            next_page(nurse)
    nurse.get_by_role("button", name="Submit my answers").click()
    nurse.get_by_role("heading", name="Thank you").wait_for()

    # A security officer stops halfway and comes back later on another device.
    guard, _ = open_page(PHONE)
    start_as(guard, link, "Security")
    for _ in range(2):
        answer_page(guard, "1")
        next_page(guard)
    guard.get_by_role("button", name="Save and finish later").click()
    resume = guard.get_by_role("textbox", name="Your personal link").input_value()
    guard.context.close()
    later, _ = open_page(PHONE)
    later.goto(resume)
    assert later.url.endswith("/page/3/")
    for number in range(3, 6):
        answer_page(later, "DK" if number == 3 else "2")
        if number < 5:
            next_page(later)
    later.get_by_role("button", name="Submit my answers").click()
    later.get_by_role("heading", name="Thank you").wait_for()

    # A front-desk clerk double-clicks the final button.
    clerk, _ = open_page(PHONE)
    start_as(clerk, link, "Front desk or registration")
    for number in range(1, 6):
        answer_page(clerk, "3" if number % 2 else "1")
        if number < 5:
            next_page(clerk)
    clerk.get_by_role("button", name="Submit my answers").dblclick()
    clerk.get_by_role("heading", name="Thank you").wait_for()

    round_ = Round.objects.get(label="Spring 2026")
    assert round_.respondents.filter(status=Respondent.Status.FINISHED).count() == 3
    assert round_.respondents.count() == 3

    admin.goto(live_server.url + round_.get_absolute_url())
    draw_chart(admin, "determinant-figure")
    assert admin.get_by_role("heading", name="Where to act first").is_visible()
    focus = admin.locator("#focus-list > li").count()
    assert 0 < focus <= 3
    assert admin.locator("#focus-strategies > li").count() > 0
    # every other strategy is one click away
    assert not admin.locator("#all-strategies ol > li").first.is_visible()
    admin.locator("#all-strategies > summary").click()
    assert admin.locator("#all-strategies ol > li").first.is_visible()
    # three roles of one person each: no role is shown, none has an exact count
    assert admin.locator("#role-table").count() == 0
    for role in ("Nurse", "Security", "Front desk or registration"):
        cell = admin.locator("#coverage-table tr", has_text=role).locator("td")
        assert cell.text_content().strip() == "fewer than 3"
    # the guard's "don't know" on page 3 leaves its four determinants rated by two people
    hidden = admin.locator("#determinant-table td", has_text="fewer than 3 people have a score")
    assert hidden.count() == 4
    log.assert_clean()


def test_the_questionnaire_can_be_completed_with_the_keyboard_alone(
    live_server, open_round_, open_page
):
    page, log = open_page(DESKTOP)
    page.goto(live_server.url + open_round_.respondent_link())

    def tab_until(predicate, limit=200):
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(predicate):
                return
        raise AssertionError(f"focus never reached {predicate}")

    # Choose a role: tab into the radio group, arrow down to "Nurse", start with Enter.
    tab_until("document.activeElement.name === 'role'")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.labels[0].textContent") == "Nurse"
    tab_until("document.activeElement.textContent.trim() === 'Start'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/page/1/", page.url)

    for number in range(1, 6):
        groups = page.locator("fieldset.item").count()
        tab_until("document.activeElement.type === 'radio'")
        for group in range(groups):
            page.keyboard.press("ArrowRight")  # selects the next answer: "Disagree"
            page.keyboard.press("ArrowRight")  # "Neither agree nor disagree"
            if group < groups - 1:
                page.keyboard.press("Tab")
        label = "Submit my answers" if number == 5 else "Save and continue"
        tab_until(f"document.activeElement.textContent.trim() === {label!r}")
        with page.expect_navigation():
            page.keyboard.press("Enter")

    page.get_by_role("heading", name="Thank you").wait_for()
    respondent = Respondent.objects.get()
    assert respondent.is_finished
    assert set(respondent.answers.values_list("value", flat=True)) == {3}
    log.assert_clean()


def test_focus_is_visible(live_server, open_round_, open_page):
    page, _ = open_page(DESKTOP)
    page.goto(live_server.url + open_round_.respondent_link())
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
    assert axe_violations(page) == []
