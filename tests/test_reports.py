"""The board report: a PDF made on the server, read back as text and checked against
what `manage.py scores` prints for the same round."""

import io
import json
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from readiness.models import ActionItem, AuditEvent, PreparedDownload
from readiness.scoring import FOCUS_SIZE, shown
from readiness.services.facilities import close_round
from tests.clients import Client
from tests.conftest import full_answers, import_rows, make_partner
from tests.downloads import body_of, fetched

ROLES = ["nurse", "physician", "security", "front_desk", "legal", "manager"]


@pytest.fixture
def closed_round(facility, instrument):
    rows = []
    for n in range(18):
        rows += full_answers(
            instrument, f"r{n}", ROLES[n % 6], lambda item, n=n: 1 + (n + item.pk) % 5
        )
    round_ = import_rows(facility, "Spring 2026", rows).round
    close_round(round_=round_)
    round_.refresh_from_db()
    return round_


def pages_of(response) -> list[str]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(body_of(response)))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def report(user, round_):
    """The round's report as this person gets it: asked for on the dashboard, prepared by
    the worker, fetched from its page (tests/downloads.py)."""
    client = Client()
    client.force_login(user)
    url = reverse("round-report-prepare", args=[round_.facility.slug, round_.pk])
    return fetched(client, url, "pdf")


def test_the_report_says_what_scores_says(closed_round, owner):
    facility = closed_round.facility
    ActionItem.objects.create(facility=facility, title="Train security on the protocol")
    pages = pages_of(report(owner, closed_round))
    printed = json.loads(_run("scores", "--facility", facility.slug, "--round", closed_round.label))
    summary = pages[0]
    # page one: the overall score and every area with its band
    assert f"{shown(printed['overall'])} / 100" in summary
    for domain, data in zip(_domain_names(closed_round), printed["domains"], strict=True):
        assert f"{domain} {shown(data['score'])} " in summary, domain
    # where to act first: the weakest determinants that need work, at most three
    weak = sorted(
        (d for d in printed["determinants"] if d["band"] in ("gap", "developing")),
        key=lambda d: d["score"],
    )
    names = _determinant_names(closed_round)
    focus = summary.split("Where to act first")[1].split("What helps with these")[0]
    listed = sorted(
        (focus.index(f"{names[d['code']]} — {shown(d['score'])} "), d["score"])
        for d in weak
        if f"{names[d['code']]} — {shown(d['score'])} " in focus
    )
    scores = [score for _, score in listed]
    assert len(scores) == min(FOCUS_SIZE, len(weak))
    # weakest first (scores that tie to two decimals may come in either order, as the
    # databases' sums differ in their last bits), and none stronger than the third weakest
    assert all(a <= b + 0.01 for a, b in zip(scores, scores[1:], strict=False))
    assert max(scores) <= weak[len(scores) - 1]["score"] + 0.01
    assert "Who answered" in summary
    # every page names the facility, the round, its dates and the questionnaire version
    heading = f"{facility.name} · Spring 2026 · "
    for page in pages:
        assert heading in page and "questionnaire 2026.1" in page
    # then every determinant, and the action plan
    text = " ".join(pages[1:])
    for determinant in printed["determinants"]:
        assert names[determinant["code"]] in text
    assert "Train security on the protocol" in text
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.EXPORTED, facility=facility, detail__download="report"
    ).exists()


def test_a_partner_gets_only_what_its_share_allows(closed_round, owner):
    partner, member = make_partner(closed_round.facility, by=owner, roles=False, strategies=False)
    text = " ".join(pages_of(report(member, closed_round)))
    assert "Where to act first" in text
    assert "What helps with these" not in text
    assert "Who answered" not in text
    assert "Action plan" not in text  # the plan is the facility's own


def test_nothing_is_shown_below_the_minimum(facility, instrument, owner):
    rows = full_answers(instrument, "a", "nurse", lambda item: 4)
    rows += full_answers(instrument, "b", "nurse", lambda item: 4)
    round_ = import_rows(facility, "Small", rows).round
    text = " ".join(pages_of(report(owner, round_)))
    assert "No results yet" in text
    assert "/ 100" not in text


def test_a_label_cannot_restyle_the_report(facility, instrument, owner):
    """The review's attack: a round label that ends a CSS string (\\r and \\f are line
    breaks to CSS) to add rules that forge text or fetch a URL."""
    rows = []
    for n in range(3):
        rows += full_answers(instrument, f"r{n}", ROLES[n], lambda item: 3)
    # CSS escapes: the label's own text holds no "FAKE"; an injected rule would print it
    label = "S\r}}body{background:url(http://127.0.0.1:9/x)}body::before{content:'\\46 AKE'}\f"
    round_ = import_rows(facility, label, rows).round
    with mock.patch("urllib.request.OpenerDirector.open") as opened:
        pages = pages_of(report(owner, round_))
    assert opened.call_count == 0
    assert not any("FAKE" in page for page in pages)
    assert all(f"{facility.name} · S" in page for page in pages)  # the heading, as text


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _domain_names(round_) -> list[str]:
    return [d.name for d in round_.instrument.domains.order_by("position")]


def _determinant_names(round_) -> dict[str, str]:
    from readiness.models import Determinant

    return dict(
        Determinant.objects.filter(domain__instrument=round_.instrument).values_list("code", "name")
    )


def test_the_network_report_puts_every_site_on_one_page(network, leader, instrument):
    from readiness.services.facilities import create_facility

    for n, value in enumerate((2, 3, 4, 3)):
        state = "NY" if n == 3 else "CA"
        site = create_facility(name=f"Site {n}", slug=f"site-{n}", type="fqhc", state=state)
        site.network = network
        site.save()
        rows = []
        for person in range(6):
            rows += full_answers(
                instrument,
                f"{n}-{person}",
                ROLES[person],
                lambda item, v=value: 6 - v if item.reverse_scored else v,
            )
        close_round(round_=import_rows(site, "2026", rows).round)
    client = Client()
    client.force_login(leader)
    prepare_url = reverse("network-report-prepare", args=[network.slug])
    response = fetched(client, prepare_url, "pdf", state="CA")  # (the page's filters)
    assert response["Content-Type"] == "application/pdf"
    first, *_ = pages_of(response)
    # every site chosen, with its overall score: 25, 50 and 75 for answers of 2, 3 and 4
    for n, overall in enumerate((25, 50, 75)):
        assert f"Site {n} 2026 6 people {overall} " in first
    assert "Site 3" not in first  # in New York
    assert first.index("Weakest areas across sites") < first.index("Site 0")
    fetched_from = AuditEvent.objects.filter(
        action=AuditEvent.Action.EXPORTED, detail__download="network report"
    )
    assert sorted(fetched_from.values_list("facility__slug", flat=True)) == [
        "site-0",
        "site-1",
        "site-2",
    ]
    # filters the page would refuse: nothing is prepared
    refused = client.post(prepare_url, {"opened_from": "not a date"})
    assert (refused.status_code, refused.url) == (302, network.get_absolute_url())
    assert PreparedDownload.objects.count() == 1


def test_a_report_fetches_nothing_from_anywhere(tmp_path):
    from unittest import mock

    from readiness import reports

    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    html = (
        f'<link rel="stylesheet" href="file://{secret}"><img src="http://127.0.0.1:9/x.png">'
        f'<style>@import url("file://{secret}");</style><p>text</p>'
    )
    with mock.patch.object(reports, "refuse_to_fetch", wraps=reports.refuse_to_fetch) as spy:
        with mock.patch("urllib.request.OpenerDirector.open") as opened:
            assert reports.render_pdf(html).startswith(b"%PDF")
    assert opened.call_count == 0
    assert spy.call_count >= 2  # asked, and refused


def test_reports_are_limited_per_person(closed_round, owner, viewer, settings):
    """Counted when asked for (laying a report out is what the limit spares)."""
    from tests.downloads import asked, download_id_of

    settings.REPORTS_PER_HOUR = "2/h"
    url = reverse("round-report-prepare", args=[closed_round.facility.slug, closed_round.pk])
    client = Client()
    client.force_login(owner)
    download_id_of(asked(client, url, "pdf"))
    download_id_of(asked(client, url, "pdf"))
    assert asked(client, url, "pdf").status_code == 429
    other = Client()
    other.force_login(viewer)  # per person: the viewer still may
    download_id_of(asked(other, url, "pdf"))


def test_a_rounds_report_is_for_the_person_who_asked_while_they_may_read_the_round(
    closed_round, owner, viewer, downloads_dir
):
    from django.utils.text import slugify

    from readiness.models import Membership
    from readiness.services import downloads
    from tests.downloads import asked, download_id_of

    client = Client()
    client.force_login(owner)
    url = reverse("round-report-prepare", args=[closed_round.facility.slug, closed_round.pk])
    download_id = download_id_of(asked(client, url, "pdf"))
    downloads.prepare(download_id)
    file_url = reverse("download-file", args=[download_id])
    # made for the owner's view of the round (with its action plan): nobody else's
    other = Client()
    other.force_login(viewer)
    assert other.get(file_url).status_code == 404
    response = client.get(file_url)
    name = slugify(f"{closed_round.facility.slug} {closed_round.label}")
    disposition = response["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="readiness-{name}-report-')
    assert disposition.endswith('.pdf"')
    assert pages_of(response)[0]
    # once no longer a member, no longer
    Membership.objects.filter(user=owner).delete()
    assert client.get(file_url).status_code == 404
