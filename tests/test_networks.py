"""Networks: leaders compare their sites, with filters, role coverage and downloads."""

import csv
import io
import json
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from readiness import disclosure
from readiness.comparison import forget as forget_standings
from readiness.models import (
    Determinant,
    Facility,
    Network,
    NetworkLeader,
    Partner,
    PartnerMembership,
    Round,
)
from readiness.permissions import organisations_of
from readiness.services.facilities import create_facility, results_changed
from tests.clients import Client, login
from tests.conftest import full_answers, import_rows, make_user, share_accepted
from tests.downloads import network_answers
from tests.pages import json_script, list_items, table, tags, text_of
from tests.respondents import answer_everything, start


def add_round(
    facility, instrument, label, *, value=3, roles=("nurse",), opened_on="2026-04-01", closed=True
):
    """A round of 3 people per role, imported; ``value`` is one answer for every
    statement, or {determinant code: answer} (3 for the others). Closed unless asked."""
    codes = dict(Determinant.objects.values_list("pk", "code"))

    def answer(item):
        v = value.get(codes[item.determinant_id], 3) if isinstance(value, dict) else value
        return str(6 - v) if item.reverse_scored else str(v)

    rows = []
    for n in range(3):
        for role in roles:
            rows += full_answers(instrument, f"{role}{n}", role, answer)
    round_ = import_rows(facility, label, rows).round
    Round.objects.filter(pk=round_.pk).update(
        opened_on=opened_on,
        status=Round.Status.CLOSED if closed else Round.Status.OPEN,
        closed_on=opened_on if closed else None,
    )
    results_changed(facility_id=facility.pk)  # as the services that open and close do
    return round_


def site(network, instrument, slug, *, type="fqhc", state="CA", label="Spring", **round_args):
    """A site of the network with one round (see add_round)."""
    facility = create_facility(name=f"Site {slug}", slug=slug, type=type, state=state)
    facility.network = network
    facility.save()
    add_round(facility, instrument, label, **round_args)
    return facility


def test_a_network_without_sites_yet_opens_its_pages(network, leader):
    """A network is set up before its sites join: its pages open, with nothing to
    compare (the smallest group is then the site's setting)."""
    client = login(leader)
    for name in ("network-comparison", "network-quality"):
        assert client.get(reverse(name, args=[network.slug])).status_code == 200, name
    assert disclosure.largest_minimum([]) == settings.DISCLOSURE_MIN_GROUP


def test_leaders_compare_their_sites_and_read_their_dashboards(network, leader, instrument, owner):
    a = site(network, instrument, "a", value=2)
    b = site(network, instrument, "b", value=4)
    outside = site(None, instrument, "outside")
    client = login(leader)
    html = client.get(network.get_absolute_url()).content.decode()
    assert "Site a" in html and "Site b" in html and "Site outside" not in html
    assert 'id="comparison-figure"' in html and "Gap" in html and "Strength" in html
    round_ = a.rounds.get()
    assert client.get(round_.get_absolute_url()).status_code == 200
    assert client.get(outside.get_absolute_url()).status_code == 404
    # leaders read, as viewers do; they change nothing
    assert client.post(reverse("round-close", args=["a", round_.pk])).status_code == 403
    assert login(owner).get(network.get_absolute_url()).status_code == 404
    assert b.rounds.count() == 1


def test_filters_and_sorting(network, leader, instrument):
    site(network, instrument, "tx-county", type="county", state="TX", value=2)
    site(network, instrument, "ca-fqhc", type="fqhc", state="CA", value=4)
    site(network, instrument, "old", value=5, opened_on="2024-01-01")
    client = login(leader)
    html = client.get(network.get_absolute_url(), {"state": "TX"}).content.decode()
    assert "Site tx-county" in html and "Site ca-fqhc" not in html
    html = client.get(network.get_absolute_url(), {"opened_from": "2025-01-01"}).content.decode()
    assert "no results in the period" in html  # "old" has no round in the period
    html = client.get(network.get_absolute_url(), {"sort": "overall"}).content.decode()
    assert html.index("Site tx-county") < html.index("Site ca-fqhc")
    # a bad filter value is ignored with a message, not an error
    response = client.get(network.get_absolute_url(), {"opened_from": "soon", "type": "spa"})
    assert response.status_code == 200 and "Enter a valid date" in response.content.decode()


def test_sites_that_never_heard_from_key_roles_are_listed(network, leader, instrument):
    site(network, instrument, "nurses-only", roles=("nurse",))
    site(network, instrument, "everyone", roles=("nurse", "security", "legal", "front_desk"))
    site(network, instrument, "collecting", roles=("nurse",), closed=False)
    html = login(leader).get(network.get_absolute_url()).content.decode()
    # a site without results to judge from is not listed: the table says why it has none
    assert text_of(html, "voices-missing-list") == (
        "Site nurses-only: Front desk or registration, Security, Legal, risk or compliance"
    )
    assert text_of(html, "missing-voices-summary") == (
        "1 site has too few people from key roles in its results. See which sites and roles."
    )


def test_query_count_stays_flat_as_sites_grow(network, leader, instrument):
    """Made afresh (after new results), the page costs the same queries for 2 sites or
    8; shown again unchanged, only the page's own few."""
    client = login(leader)
    for n in range(2):
        site(network, instrument, f"s{n}")
    client.get(network.get_absolute_url())  # the questionnaire, read once per process
    cache.clear()
    forget_standings()  # (as in another process)
    with CaptureQueriesContext(connection) as small:
        client.get(network.get_absolute_url())
    for n in range(2, 8):
        site(network, instrument, f"s{n}")
    with CaptureQueriesContext(connection) as large:
        html = client.get(network.get_absolute_url()).content.decode()
    assert "Site s7" in html
    # session, user, the second step's device, the led network; its sites' results
    # versions (the cache key); the sites; their standings; how many allow answer
    # downloads; the names of those that do
    assert len(large) == len(small) == 9
    with CaptureQueriesContext(connection) as again:
        shown_again = client.get(network.get_absolute_url()).content.decode()
    assert text_of(shown_again, "main") == text_of(html, "main")
    # session, user, the second step's device, leader check, the sites' results versions
    assert len(again) == 5


def test_downloads_neutralise_formulas_and_stream(network, leader, instrument):
    facility = site(network, instrument, "a", label="=cmd()")
    client = login(leader)
    response = client.get(reverse("network-comparison-csv", args=["valley"]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:8] == [
        "facility",
        "type",
        "state",
        "round",
        "opened_on",
        "round_status",
        "people_in_results",
        "overall",
    ]
    assert rows[1][3] == "'=cmd()"
    # answer-level data only for sites whose owners allow it (tests/test_exports.py)
    Facility.objects.filter(pk=facility.pk).update(network_answer_access=True)
    response = network_answers(client, "valley", "csv")
    answers = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert answers[0][0] == "facility" and len(answers) == 1 + 3 * 53
    assert {row[1] for row in answers[1:]} == {"'=cmd()"}
    response = network_answers(client, "valley", "xlsx")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    sheet = workbook.active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "facility" and len(values) == 1 + 3 * 53
    assert values[1][1] == "'=cmd()"
    assert Facility.objects.get(slug="a") == facility


# --- Closed rounds by default, open ones on request ------------------------------------


def row_of(rows: dict, name: str) -> list[str]:
    """The cells of the table row whose first cell starts with the site's name."""
    (cells,) = [cells for first, cells in rows.items() if first.startswith(name + " ")]
    return cells


def latecomer(round_) -> None:
    """One more person finishes through the round's link after the results were
    published: waiting, not in the published results (readiness.disclosure, rule 3)."""
    client = Client()
    token, _ = start(client, round_, role="nurse", nonce=secrets.token_urlsafe(24))
    answer_everything(client, round_, token, value="5")


def csv_rows(client, params=None) -> dict[str, list[str]]:
    response = client.get(reverse("network-comparison-csv", args=["valley"]), params or {})
    header, *rows = csv.reader(io.StringIO(b"".join(response.streaming_content).decode()))
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def test_the_latest_closed_round_is_compared_unless_open_rounds_are_asked_for(
    network, leader, instrument
):
    both = site(network, instrument, "both", label="Spring", value=2, opened_on="2026-04-01")
    autumn = add_round(both, instrument, "Autumn", value=4, opened_on="2026-10-01", closed=False)
    latecomer(autumn)  # finished, waiting: never counted until published
    assert disclosure.release_status(autumn).waiting == 1
    site(network, instrument, "new", label="First", value=4, opened_on="2026-10-01", closed=False)
    client = login(leader)

    rows = table(client.get(network.get_absolute_url()).content.decode(), "sites-table")
    spring = row_of(rows, "Site both")
    assert spring[0] == (
        "Spring Closed: results from 3 people A newer round is still collecting answers."
    )
    assert spring[1:3] == ["25", "25 Gap"]  # overall, then the first area with its band
    new = row_of(rows, "Site new")
    assert new[0] == (
        "No closed round with results in the period: a round is still collecting answers. "
        "Include rounds still collecting answers to see its results so far."
    )
    assert set(new[1:]) == {"–"}
    by_site = csv_rows(client)
    assert [by_site["Site both"][k] for k in ("round", "round_status", "people_in_results")] == [
        "Spring",
        "closed",
        "3",
    ]
    assert by_site["Site both"]["overall"] == "25"
    assert [by_site["Site new"][k] for k in ("round", "round_status", "overall")] == ["", "", ""]

    asked = {"include_open": "on"}
    rows = table(client.get(network.get_absolute_url(), asked).content.decode(), "sites-table")
    # 3 people in the published results; the latecomer who finished since is not counted
    assert row_of(rows, "Site both")[:3] == [
        "Autumn Open: still collecting answers; results so far from 3 people",
        "75",
        "75 Strength",
    ]
    assert row_of(rows, "Site new")[0] == (
        "First Open: still collecting answers; results so far from 3 people"
    )
    by_site = csv_rows(client, asked)
    assert [by_site["Site both"][k] for k in ("round", "round_status", "people_in_results")] == [
        "Autumn",
        "open",
        "3",
    ]
    assert by_site["Site new"]["round_status"] == "open"
    response = client.get(reverse("network-comparison-xlsx", args=["valley"]), asked)
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    header, *values = sheet.iter_rows(values_only=True)
    by_site = {row[0]: dict(zip(header, row, strict=True)) for row in values}
    assert by_site["Site both"]["round_status"] == "open"
    assert by_site["Site both"]["people_in_results"] == 3
    assert by_site["Site both"]["overall"] == 75


def test_a_median_reads_as_a_whole_number_halves_up(network, leader, instrument):
    """Two sites' middle score of an area is 62.5: it reads 63, as every score does."""
    high = dict.fromkeys(
        Determinant.objects.filter(domain__instrument=instrument).values_list("code", flat=True),
        5,
    )
    site(network, instrument, "low", value=high | {"LEGAL": 3})  # 50
    site(network, instrument, "high", value=high | {"LEGAL": 4})  # 75
    html = login(leader).get(network.get_absolute_url()).content.decode()
    assert text_of(html, "weakest-areas").startswith(
        "Legal footing and law enforcement: median 63 across 2 sites with a score; "
        "0 of them in the gap band (below 50). "
    )


# --- The summary above the table --------------------------------------------------------


def test_the_summary_names_the_weakest_areas_and_sites_without_a_recent_round(
    network, leader, instrument
):
    today = timezone.localdate()
    recent = (today - timedelta(days=30)).isoformat()
    long_ago = today - timedelta(days=800)
    # Knowing our immigrant communities: 25, 25, 50 (median 25, two in the gap band);
    # Legal footing: 25, 50, 75 (median 50, one); every other area 50 or more.
    site(network, instrument, "a", value={"COMMUNITY": 2, "LEGAL": 2}, opened_on=recent)
    site(network, instrument, "b", value={"COMMUNITY": 2, "EVAL": 4}, opened_on=recent)
    site(network, instrument, "c", value={"LEGAL": 4}, opened_on=long_ago.isoformat())
    site(network, instrument, "d", opened_on=recent, closed=False)  # still collecting
    # opened long ago, closed last month: recent enough
    late = site(network, instrument, "f", opened_on=long_ago.isoformat())
    Round.objects.filter(facility=late).update(closed_on=today - timedelta(days=30))
    results_changed(facility_id=late.pk)
    never = create_facility(name="Site e", slug="e", type="fqhc", state="CA")
    never.network = network
    never.save()
    html = login(leader).get(network.get_absolute_url()).content.decode()
    weakest = text_of(html, "weakest-areas")
    assert weakest.startswith(
        # 25, 25, 50, 50: a median of 37.5, shown as 38
        "Knowing our immigrant communities: median 38 across 4 sites with a score; "
        "2 of them in the gap band (below 50). "
        "Legal footing and law enforcement: median 50 across 4 sites with a score; "
        "1 of them in the gap band (below 50). "
    )
    assert text_of(html, "no-recent-round") == (
        f"Site c: latest round with results closed on {long_ago:%b} "
        f"{long_ago.day}, {long_ago.year} "
        "Site d: no closed round with results yet "
        "Site e: no round yet"
    )
    # the open round counts with the option, for the areas; never for "no closed round"
    html = login(leader).get(network.get_absolute_url(), {"include_open": "on"}).content.decode()
    assert "across 5 sites" in text_of(html, "weakest-areas")
    assert text_of(html, "no-recent-round").startswith("Site c: ")
    assert "Site d: no closed round with results yet" in text_of(html, "no-recent-round")


def test_the_table_says_it_scrolls_sideways(network, leader, instrument):
    site(network, instrument, "a")
    html = login(leader).get(network.get_absolute_url()).content.decode()
    assert text_of(html, "sites-table-cue") == (
        "The table scrolls sideways: after the overall score it has 10 areas, one column "
        "each. Scroll it, or select it and use the arrow keys; the site names stay in view."
    )
    assert 'aria-describedby="sites-table-cue"' in html


def test_query_count_stays_flat_with_open_and_closed_rounds(network, leader, instrument):
    """The page and its download cost the same number of queries for 2 sites or 8, each
    with a closed and an open round, with or without open rounds asked for."""
    client = login(leader)

    def add_sites(numbers):
        for n in numbers:
            facility = site(network, instrument, f"s{n}", opened_on="2026-04-01")
            add_round(facility, instrument, "Autumn", opened_on="2026-10-01", closed=False)

    def counts():
        measured = []
        for params in ({}, {"include_open": "on"}):
            cache.clear()  # made afresh, as after new results, in another process
            forget_standings()
            with CaptureQueriesContext(connection) as page:
                client.get(network.get_absolute_url(), params)
            with CaptureQueriesContext(connection) as download:
                response = client.get(reverse("network-comparison-csv", args=["valley"]), params)
                b"".join(response.streaming_content)
            measured += [len(page), len(download)]
        return measured

    add_sites(range(2))
    counts()  # the questionnaire, read once per process
    small = counts()
    add_sites(range(2, 8))
    assert counts() == small
    # session, user, the second step's device, leader check, the sites' results
    # versions (the cache key), the sites with their standings' versions, the standings
    # this process has not read yet, how many sites allow answer downloads, and the
    # names of the first of them; the download: session, user, device, leader check, the
    # sites with their standings, one audit event for the whole file (bulk)
    assert small == [9, 6, 9, 6]


# --- The partner's portfolio ------------------------------------------------------------


def test_the_portfolio_labels_open_and_closed_rounds_and_what_is_shared(instrument, owner):
    from tests.conftest import make_partner

    mercy = create_facility(name="Mercy Clinic", slug="mercy", type="fqhc", state="CA")
    add_round(mercy, instrument, "Spring", value=2, opened_on="2026-04-01")
    autumn = add_round(mercy, instrument, "Autumn", value=4, opened_on="2026-10-01", closed=False)
    latecomer(autumn)
    assert disclosure.release_status(autumn).waiting == 1
    partner, member = make_partner(mercy, by=owner, roles=False, strategies=False)
    fresh = create_facility(name="Fresh Start", slug="fresh", type="fqhc", state="CA")
    add_round(fresh, instrument, "First", value=4, opened_on="2026-10-01", closed=False)
    share_accepted(facility=fresh, partner=partner, include_roles=False, by=owner)
    html = login(member).get(partner.get_absolute_url()).content.decode()
    rows = table(html, "portfolio-table")
    # the heat map marks the open round as the table does
    figure = json_script(html, "portfolio-figure")
    assert figure["data"][0]["y"] == ["Fresh Start (open round)", "Mercy Clinic"]
    # the latest closed round, not the newer one still collecting answers
    assert row_of(rows, "Mercy Clinic")[:3] == [
        "Spring Apr 1, 2026 Closed: results from 3 people",
        "Scores only, without the recommended strategies or results by role.",
        "25",
    ]
    # a facility with no closed round yet: its open round, marked, with the published count
    assert row_of(rows, "Fresh Start")[:3] == [
        "First Oct 1, 2026 Open: still collecting answers; results so far from 3 people",
        "Scores and recommended strategies, without results by role.",
        "75",
    ]


def sites_on(html) -> list[str]:
    """The row headers of the sites table: each site's name, type and state."""
    return [header for header in table(html, "sites-table") if header != "Site"]


def row_header(facility) -> str:
    return f"{facility.name} {facility.get_type_display()}, {facility.state}"


def test_the_sites_table_shows_a_page_at_a_time_and_the_summary_every_site(
    network, leader, instrument, monkeypatch
):
    """A network of hundreds of sites costs one page of rows; its summary still speaks
    of every site."""
    monkeypatch.setattr("readiness.paging.PAGE_SIZE", 2)
    a, b, c = (
        site(network, instrument, slug, value=v) for slug, v in (("a", 2), ("b", 4), ("c", 3))
    )
    client = login(leader)
    first = client.get(network.get_absolute_url()).content.decode()
    assert sites_on(first) == [row_header(a), row_header(b)]
    assert text_of(first, "sites-position") == "Showing 1 to 2 of 3 (page 1 of 2)."
    figure = json.loads(text_of(first, "comparison-figure"))
    assert list(figure["data"][0]["y"]) == ["Site a", "Site b"]
    assert "across the 3 sites with results" in text_of(first, "network-summary")
    next_links = [link["href"] for link in tags(first, "a", rel="next")]
    assert len(next_links) == 2  # above the heat map and below the table
    second = client.get(network.get_absolute_url() + next_links[0]).content.decode()
    assert sites_on(second) == [row_header(c)]
    # a page past the end shows the last; another order starts on the first page
    past = client.get(network.get_absolute_url(), {"page": 9, "sort": "overall"})
    assert text_of(past.content.decode(), "sites-position").endswith("(page 2 of 2).")
    sort_links = [link["href"] for link in tags(second, "a") if "sort=" in link.get("href", "")]
    assert sort_links and not [link for link in sort_links if "page=" in link]


def test_comparisons_read_each_rounds_summary_which_older_releases_gain(
    network, leader, instrument
):
    """A network page reads each round's facility-level summary, a fortieth of its
    aggregates; releases written before the summary existed get it from migration 0018."""
    import importlib

    from django.apps import apps

    from readiness.models import RoundRelease, summary_of

    facility = site(network, instrument, "a", value=4)
    release = RoundRelease.objects.get(round__facility=facility)
    assert release.summary == summary_of(release.aggregates)
    before = text_of(login(leader).get(network.get_absolute_url()).content.decode(), "sites-table")
    RoundRelease.objects.update(summary={}, most_scored=0)  # as written before 0018
    importlib.import_module("readiness.migrations.0018_release_summary").fill_summaries(apps, None)
    release.refresh_from_db()
    assert release.summary == summary_of(release.aggregates)
    assert release.most_scored == 3  # every determinant, of the 3 nurses
    after = text_of(login(leader).get(network.get_absolute_url()).content.decode(), "sites-table")
    assert before.startswith("Scores by site") and after == before


def test_a_newer_round_with_nothing_to_show_leaves_the_older_one_compared(
    network, leader, instrument
):
    """Rounds are chosen from two numbers of their release (RoundRelease.has_results):
    three people who answered "don't know" throughout are published but score nothing,
    so the site is compared on its older round, as when every summary was read."""
    facility = site(network, instrument, "a", label="Spring", value=4, opened_on="2026-03-01")
    rows = []
    for n in range(3):
        rows += full_answers(instrument, f"dk{n}", "nurse", lambda item: "DK")
    later = import_rows(facility, "Autumn", rows).round
    Round.objects.filter(pk=later.pk).update(
        opened_on="2026-09-01", status=Round.Status.CLOSED, closed_on="2026-09-30"
    )
    results_changed(facility_id=facility.pk)
    release = later.release
    release.refresh_from_db()
    assert release.respondents == 3 and not release.has_results(3)
    html = login(leader).get(network.get_absolute_url()).content.decode()
    (row,) = [cells for header, cells in table(html, "sites-table").items() if header != "Site"]
    assert row[0].startswith("Spring")


def test_the_page_kept_for_an_unchanged_network_is_made_again_after_every_change(
    network, leader, instrument, owner
):
    """What the kept page shows follows every change that touches it: a raised minimum
    group above all (cells it would now hide), new results, a round opened, closed or
    deleted, a site deleted or gone from the network."""
    from readiness.services import access, facilities

    a = site(network, instrument, "a", value=4)  # 3 nurses: shown under a minimum of 3
    b = site(network, instrument, "b", value=2)
    client = login(leader)
    url = network.get_absolute_url()

    def table_now():
        return table(client.get(url).content.decode(), "sites-table")

    first = table_now()
    Facility.objects.filter(pk=a.pk).update(name="Site a, renamed")  # bumps nothing
    assert table_now() == first  # kept
    Facility.objects.filter(pk=a.pk).update(name=a.name)
    assert row_of(first, a.name)[1] == "75"  # overall: "agree" throughout
    access.set_min_group(facility=a, min_group=4, by=owner)
    # nothing shown for its 3 people now
    assert set(row_of(table_now(), a.name)[1:]) == {"–"}
    later = add_round(b, instrument, "Autumn", value=5, opened_on="2026-09-01")
    assert row_of(table_now(), b.name)[0].startswith("Autumn")
    facilities.reopen_round(round_=later, by=owner)
    assert row_of(table_now(), b.name)[0].startswith("Spring")
    facilities.close_round(round_=later, by=owner)
    assert row_of(table_now(), b.name)[0].startswith("Autumn")
    facilities.delete_round(round_=later, by=owner)
    assert row_of(table_now(), b.name)[0].startswith("Spring")
    Facility.objects.filter(pk=b.pk).update(network=None)
    assert row_header(b) not in table_now()
    Facility.objects.filter(pk=b.pk).update(network=network)
    facilities.delete_facility(facility=b, by=owner)
    assert row_header(b) not in table_now()


def test_the_kept_page_follows_a_round_opened_answer_downloads_and_the_site_minimum(
    network, leader, instrument, owner, settings
):
    from readiness.services import access, facilities

    a = site(network, instrument, "a", value=4)
    client = login(leader)
    url = network.get_absolute_url()
    page = client.get(url).content.decode()
    assert "A newer round" not in text_of(page, "sites-table")
    facilities.open_round(facility=a, label="Autumn", by=owner)
    page = client.get(url).content.decode()
    assert row_of(table(page, "sites-table"), a.name)[0].endswith(
        "A newer round is still collecting answers."
    )
    access.set_network_answer_access(facility=a, allowed=True, by=owner)
    assert text_of(client.get(url).content.decode(), "answer-sites").startswith(
        "Answer downloads include only sites whose owners allow it: 1 of 1 (Site a)."
    )
    # a raised site minimum, or a deploy, is never answered from an earlier rendering
    settings.DISCLOSURE_MIN_GROUP = 4
    rows = table(client.get(url).content.decode(), "sites-table")
    assert set(row_of(rows, a.name)[1:]) == {"–"}


def test_made_up_parameters_share_the_kept_page(network, leader, instrument):
    site(network, instrument, "a")
    client = login(leader)
    url = network.get_absolute_url()
    client.get(url)
    for junk in ({"x": "1"}, {"x": "2", "sort": "nonsense"}, {"page": "abc"}, {"page": "99"}):
        with CaptureQueriesContext(connection) as queries:
            client.get(url, junk)
        # session, user, device, leader check, the key (and, for a made-up column, the
        # look-up that finds it is none): nothing rendered again
        assert len(queries) == (6 if "sort" in junk else 5), junk


def test_a_round_from_before_releases_gets_its_release_and_is_compared(network, leader, instrument):
    from readiness.models import RoundRelease, Standing

    a = site(network, instrument, "a", value=4)
    # as kept before releases existed; a change of its results inside another write
    # leaves the release to the next reader (services/standings.py)
    RoundRelease.objects.filter(round__facility=a).delete()
    results_changed(facility_id=a.pk)
    assert not Standing.objects.filter(facility=a).exists()
    html = login(leader).get(network.get_absolute_url()).content.decode()
    assert row_of(table(html, "sites-table"), a.name)[1] == "75"
    assert RoundRelease.objects.filter(round__facility=a).exists()


def test_an_import_that_starts_a_round_shows_on_the_kept_page(network, leader, instrument):
    """Two people imported into a new round publish nothing, yet the round exists: the
    kept page is made again and says that a newer round is collecting answers."""
    a = site(network, instrument, "a", value=4)
    client = login(leader)
    url = network.get_absolute_url()
    assert "A newer round" not in text_of(client.get(url).content.decode(), "sites-table")
    rows = []
    for n in range(2):
        rows += full_answers(instrument, f"late{n}", "nurse", lambda item: "4")
    import_rows(a, "Autumn", rows)
    page = client.get(url).content.decode()
    assert row_of(table(page, "sites-table"), a.name)[0].endswith(
        "A newer round is still collecting answers."
    )


def test_a_page_made_afresh_reads_again_only_the_sites_whose_results_moved(
    network, leader, instrument
):
    """Each site's standing (services/standings.py) is read once per process and
    version: after one site's new results, a page of many sites reads that one again."""
    sites = [site(network, instrument, f"s{n}", value=2 + n % 3) for n in range(5)]
    client = login(leader)
    url = network.get_absolute_url()
    before = table(client.get(url).content.decode(), "sites-table")
    add_round(sites[2], instrument, "Autumn", value=5, opened_on="2026-09-01")
    with CaptureQueriesContext(connection) as queries:
        after = table(client.get(url).content.decode(), "sites-table")
    (read,) = [q["sql"] for q in queries if 'FROM "readiness_standing"' in q["sql"]]
    assert f"IN ({sites[2].pk})" in read
    assert row_of(after, "Site s2")[:2] == ["Autumn Closed: results from 3 people", "100"]
    others = {k: v for k, v in after.items() if not k.startswith("Site s2")}
    assert others == {k: v for k, v in before.items() if not k.startswith("Site s2")}
    assert len(others) == 5  # the header and four sites


def test_the_portfolio_shows_a_page_of_facilities_at_a_time(instrument, owner, monkeypatch):
    """A partner with hundreds of sharing facilities gets fifty rows a page, from each
    facility's standing: the table and the heat map follow the page."""
    from tests.conftest import make_partner

    monkeypatch.setattr("readiness.paging.PAGE_SIZE", 2)
    first = create_facility(name="Clinic A", slug="a", type="fqhc", state="CA")
    add_round(first, instrument, "Spring", value=2)
    partner, member = make_partner(first, by=owner)
    for slug, value in (("c", 4), ("b", 3)):
        facility = create_facility(
            name=f"Clinic {slug.upper()}", slug=slug, type="fqhc", state="CA"
        )
        add_round(facility, instrument, "Spring", value=value)
        share_accepted(facility=facility, partner=partner, include_roles=False, by=owner)
    client = login(member)
    html = client.get(partner.get_absolute_url()).content.decode()
    assert [
        row_of(table(html, "portfolio-table"), name)[2] for name in ("Clinic A", "Clinic B")
    ] == [
        "25",
        "50",
    ]
    assert "Clinic C" not in table(html, "portfolio-table")
    assert json_script(html, "portfolio-figure")["data"][0]["y"] == [
        "Clinic A",
        "Clinic B",
    ]
    assert text_of(html, "portfolio-position") == "Showing 1 to 2 of 3 (page 1 of 2)."
    second = client.get(partner.get_absolute_url(), {"page": 2}).content.decode()
    assert row_of(table(second, "portfolio-table"), "Clinic C")[2] == "75"


def test_the_kept_portfolio_follows_new_results_and_what_each_share_includes(instrument, owner):
    from readiness.services.access import revoke_share
    from tests.conftest import make_partner

    mercy = create_facility(name="Mercy Clinic", slug="mercy", type="fqhc", state="CA")
    add_round(mercy, instrument, "Spring", value=2, opened_on="2026-04-01")
    partner, member = make_partner(mercy, by=owner, roles=False, strategies=False)
    client = login(member)

    def mercy_row():
        html = client.get(partner.get_absolute_url()).content.decode()
        return row_of(table(html, "portfolio-table"), "Mercy Clinic")

    assert mercy_row()[0].startswith("Spring") and mercy_row()[2] == "25"
    add_round(mercy, instrument, "Autumn", value=4, opened_on="2026-10-01")
    assert mercy_row()[0].startswith("Autumn") and mercy_row()[2] == "75"
    share = mercy.shares.get()
    revoke_share(share=share, by=owner)
    share_accepted(facility=mercy, partner=partner, include_roles=False, by=owner)
    assert mercy_row()[1] == "Scores and recommended strategies, without results by role."


def test_the_summarys_lists_name_the_first_sites_and_count_the_others(
    network, leader, instrument, owner, monkeypatch
):
    """A network of hundreds of sites lists 25 of them under each heading of its
    summary, then says how many more."""
    from readiness.services import access

    monkeypatch.setattr("readiness.comparison.summary.LISTED", 2)  # every list the page names
    for slug in ("a", "b", "c"):
        facility = create_facility(name=f"Site {slug}", slug=slug, type="fqhc", state="CA")
        facility.network = network
        facility.save()
        access.set_network_answer_access(facility=facility, allowed=True, by=owner)
    html = login(leader).get(network.get_absolute_url()).content.decode()
    assert list_items(html, "no-recent-round") == ["Site a: no round yet", "Site b: no round yet"]
    assert text_of(html, "no-recent-round-more") == "And 1 more site."
    assert text_of(html, "answer-sites").startswith(
        "Answer downloads include only sites whose owners allow it: 3 of 3 "
        "(Site a, Site b, and 1 more)."
    )
    for slug in ("x", "y", "z"):  # results from nurses only: key roles missing
        site(network, instrument, slug, roles=("nurse",))
    html = login(leader).get(network.get_absolute_url()).content.decode()
    assert [item.split(":")[0] for item in list_items(html, "voices-missing-list")] == [
        "Site x",
        "Site y",
    ]
    assert text_of(html, "voices-missing-more") == "And 1 more site, in the table's order."


def test_standings_kept_beyond_the_limit_make_room_and_read_the_same(
    network, leader, instrument, monkeypatch
):
    """A process keeps at most KEEP_AT_MOST standings: past it, the older half goes, and
    pages read the same."""
    from readiness.comparison import comparing

    monkeypatch.setattr(comparing, "KEEP_AT_MOST", 2)
    for slug, value in (("a", 2), ("b", 4), ("c", 3)):
        site(network, instrument, slug, value=value)
    client = login(leader)
    url = network.get_absolute_url()
    first = table(client.get(url).content.decode(), "sites-table")
    assert len(comparing._kept) == 3  # one page's sites, even past the limit
    a = Facility.objects.get(slug="a")
    results_changed(facility_id=a.pk)  # one more to keep: two older ones go
    again = table(client.get(url, {"sort": "overall"}).content.decode(), "sites-table")
    assert len(comparing._kept) == 2
    assert [row_of(again, name)[1] for name in ("Site a", "Site b", "Site c")] == [
        "25",
        "75",
        "50",
    ]
    assert again == first


def test_leaders_read_their_sites_results_but_are_not_their_members(network, leader, instrument):
    """Leaders see every round with roles and strategies, as viewers do, but are not
    members: the action plan and the interventions stay the facility's own."""
    from readiness.permissions import facility_access

    a = site(network, instrument, "a", value=2)
    access = facility_access(leader, "a")
    assert access.leads and not access.is_member and access.reads_all_results
    assert access.can_see_roles and access.can_see_strategies
    assert not access.can_manage_rounds and not access.is_owner
    html = login(leader).get(a.rounds.get().get_absolute_url()).content.decode()
    assert text_of(html, "roles-heading") == "Results by role"
    assert text_of(html, "strategies-heading") == "All recommended strategies"
    page = login(leader).get(a.get_absolute_url()).content.decode()
    assert text_of(page, "access-notice") == (
        "You read this site's results as a leader of Valley Health Centers. "
        "Its action plan and interventions stay with its members."
    )
    assert reverse("facility-plan", args=["a"]) not in page


def test_networks_and_partners_are_found_only_through_their_own_people(network, leader):
    other = Network.objects.create(name="Other", slug="other")
    partner = Partner.objects.create(name="Advocates", slug="advocates")
    advocate = make_user("advocate")
    PartnerMembership.objects.create(user=advocate, partner=partner)
    assert list(organisations_of(leader, Network)) == [network]
    assert list(organisations_of(advocate, Network)) == []
    assert list(organisations_of(leader, Partner)) == []
    assert list(organisations_of(advocate, Partner)) == [partner]
    assert not organisations_of(AnonymousUser(), Network).exists()
    assert list(Network.objects.all()) == [other, network]  # by name
    assert str(NetworkLeader.objects.get(user=leader)) == f"leader – {network.name}"
    assert str(PartnerMembership.objects.get()) == "advocate – Advocates"
