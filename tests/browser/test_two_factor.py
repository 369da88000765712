"""Two-step sign-in in a real browser: an owner sets up an authenticator app from what
the page shows, keeps the recovery codes, and signs in with one; every page passes axe
and fits a phone."""

import pytest
from django_otp.oath import TOTP

from tests.browser.conftest import DESKTOP, PHONE, axe_violations
from tests.browser.test_phone import fits
from tests.test_two_factor import _base32

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_owner_sets_up_two_step_sign_in_and_uses_a_recovery_code(
    live_server, facility, open_page, viewport
):
    base = live_server.url
    page, log = open_page(viewport)
    problems = []
    page.goto(base + facility.get_absolute_url())  # sent to sign in first
    page.fill("#id_username", "owner")
    page.fill("#id_password", "pw-owner")
    page.click("main button[type=submit]")
    # an owner must set it up before anything else, and comes back where they were going
    page.wait_for_url(lambda url: "/accounts/two-factor/set-up/" in url)
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()
    problems += axe_violations(page) + fits(page, page.url)
    secret = page.locator("#secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your authenticator app").fill(
        f"{TOTP(_base32(secret)).token():06d}"
    )
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    page.locator("#recovery-codes li").nth(9).wait_for()  # all_inner_texts does not wait
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    problems += axe_violations(page)
    page.get_by_role("link", name="I have saved them: continue").click()
    page.wait_for_url(base + facility.get_absolute_url())
    page.goto(base + "/accounts/two-factor/")
    assert page.locator("#codes-left").inner_text() == "You have 10 unused recovery codes."
    problems += axe_violations(page) + fits(page, page.url)

    # signing in again: the password, then a recovery code instead of the app
    page.get_by_role("button", name="Sign out").click()
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "pw-owner")
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/accounts/login/code/")
    page.get_by_role("button", name="Sign in").click()  # empty: the error is announced
    field = page.get_by_label("Code from your authenticator app, or a recovery code")
    assert field.get_attribute("aria-invalid") == "true"
    assert "id_code_error" in field.get_attribute("aria-describedby").split()
    assert page.locator("#error_1_id_code").inner_text() == "This field is required."
    problems += axe_violations(page) + fits(page, page.url)
    field.fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    status = page.get_by_role("status").inner_text()
    assert "You signed in with a recovery code; it will not work again. 9 codes are left." in (
        status
    )
    assert problems == [], "\n".join(problems)
    log.assert_clean()
