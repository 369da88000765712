"""An answer download in the browser: asked for on the facility page, its page updates
itself when the worker has prepared it (and says so to screen readers), and the link
downloads the file; axe finds nothing on the page while waiting or once ready."""

import pytest

from readiness.models import PreparedDownload
from readiness.services import downloads
from tests.browser.conftest import PHONE, axe_violations, sign_in
from tests.conftest import import_rows

pytestmark = pytest.mark.browser


def test_the_download_page_tells_when_the_file_is_ready(
    live_server, facility, owner, instrument, open_page
):
    rows = [(f"p{n}", "nurse", "LEGAL-1", 1 + n) for n in range(4)]
    import_rows(facility, "Spring", rows)
    page, log = open_page(PHONE)
    base = live_server.url
    sign_in(page, base, "owner", "pw-owner")
    page.goto(base + facility.get_absolute_url())
    page.get_by_role("button", name="Download answers as CSV", exact=True).click()
    page.wait_for_url("**/downloads/*/")
    status = page.locator("#download-status")
    assert status.get_attribute("aria-live") == "polite"
    assert status.inner_text() == "Waiting to start"
    assert page.locator("#download-ready").is_hidden()
    assert axe_violations(page) == []

    # the worker's turn (the page asks every few seconds)
    (download,) = PreparedDownload.objects.all()
    downloads.prepare(download.pk)
    page.wait_for_selector("#download-ready:not([hidden])", timeout=15_000)
    assert status.inner_text() == "Ready"
    assert page.locator("#download-progress").is_hidden()
    assert axe_violations(page) == []
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download the file").click()
    file = waiting.value
    assert file.suggested_filename.startswith("readiness-mercy-answers-")
    assert file.suggested_filename.endswith(".csv")
    with open(file.path(), encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    assert lines[0] == "round,respondent,role,status,opened_on,closed_on,item,value"
    assert len(lines) == 1 + 4
    log.assert_clean()
