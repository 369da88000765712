"""A front-desk worker answers the whole questionnaire in Spanish on a phone: no English
on any page, no accessibility violation, and switching language mid-way keeps every
answer."""

import re

import pytest
from django.utils import translation

from readiness.management.files import read_json
from readiness.models import Answer, Respondent, Role
from readiness.pages import questionnaire_pages
from readiness.services.facilities import open_round
from readiness.services.instrument import load_instrument
from tests.browser.conftest import PHONE, answer_page, axe_violations
from tests.conftest import ROOT
from tests.translations import english_words

pytestmark = pytest.mark.browser


def spanish(message: str) -> str:
    with translation.override("es"):
        return translation.gettext(message)


def no_english(page, round_) -> set[str]:
    return english_words(page.content(), names=(round_.facility.name, round_.label, "Readiness"))


def test_the_whole_questionnaire_in_spanish_on_a_phone(live_server, facility, open_page):
    for name in ("instrument.json", "instrument-2027.1.json"):
        load_instrument(data=read_json(ROOT / "fixtures" / name))
    round_ = open_round(facility=facility, label="Primavera")
    role = Role.objects.get(instrument=round_.instrument, code="front_desk")
    pages = questionnaire_pages(round_.instrument, role.code)

    page, log = open_page(PHONE, locale="es-MX")
    page.goto(live_server.url + f"/r/{round_.link_token}/")
    assert page.get_attribute("html", "lang") == "es"
    assert no_english(page, round_) == set()
    assert axe_violations(page) == []
    page.get_by_label(role.translations["es"]["name"], exact=True).check()
    page.get_by_role("button", name=spanish("Start")).click()
    page.wait_for_url(re.compile(r"/a/[A-Za-z0-9_-]+/page/1/"))

    for number in range(1, len(pages) + 1):
        assert page.get_attribute("html", "lang") == "es", number
        assert no_english(page, round_) == set(), number
        heading = page.get_by_role("heading", level=1).inner_text()
        assert heading == pages[number - 1].domain.translations["es"]["name"]
        if number == 1:
            # nothing answered: the error summary is in Spanish, and accessible
            page.get_by_role("button", name=spanish("Save and continue")).click()
            page.locator("#error-summary").wait_for()
            assert no_english(page, round_) == set()
            assert axe_violations(page) == []
        if number == 2:
            # half the page answered, then English and back: every answer stays
            answer_page(page, "2")
            page.get_by_role("button", name="English", exact=True).click()
            page.wait_for_load_state()
            assert page.get_attribute("html", "lang") == "en"
            statements = page.locator("legend.item-text").all_inner_texts()
            assert statements == [item.text for item in pages[1].items]
            assert page.locator("fieldset.item input[value='2']:checked").count() == len(
                pages[1].items
            )
            page.get_by_role("button", name="Español", exact=True).click()
            page.wait_for_load_state()
            assert page.get_attribute("html", "lang") == "es"
            assert page.locator("fieldset.item input[value='2']:checked").count() == len(
                pages[1].items
            )
            assert axe_violations(page) == []
        else:
            answer_page(page, "4")
        if number == 3:
            # Enter on a statement saves and goes on, never to another language (the
            # page's own default button comes before the switcher's)
            with page.expect_navigation():
                page.locator("fieldset.item input[type=radio]").first.press("Enter")
            assert re.search(r"/page/4/\?notice=saved$", page.url), page.url
            assert page.get_attribute("html", "lang") == "es"
            continue
        if number == len(pages):
            # on the last page Enter only saves: submitting cannot be undone
            with page.expect_navigation():
                page.locator("fieldset.item input[type=radio]").first.press("Enter")
            assert re.search(rf"/page/{number}/$", page.url), page.url
            assert not Respondent.objects.get().is_finished
        if number < len(pages):
            page.get_by_role("button", name=spanish("Save and continue")).click()
            page.wait_for_url(re.compile(rf"/page/{number + 1}/"))
    page.get_by_role("button", name=spanish("Submit my answers")).click()
    page.get_by_role("heading", name=spanish("Thank you")).wait_for()
    assert page.get_attribute("html", "lang") == "es"
    assert no_english(page, round_) == set()
    assert axe_violations(page) == []
    log.assert_clean()

    respondent = Respondent.objects.get()
    assert respondent.is_finished and respondent.language == "es"
    answered = Answer.objects.filter(respondent=respondent)
    assert answered.count() == sum(len(p.items) for p in pages)
    assert answered.filter(value=2).count() == len(pages[1].items)
