"""Networks: leaders compare their sites, with filters, role coverage and downloads."""

import csv
import io

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from readiness.models import Facility, Round
from readiness.services.facilities import create_facility
from tests.conftest import full_answers, import_rows


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def site(
    network,
    instrument,
    slug,
    *,
    type="fqhc",
    state="CA",
    value=3,
    roles=("nurse",),
    opened_on="2026-04-01",
    label="Spring",
):
    facility = create_facility(name=f"Site {slug}", slug=slug, type=type, state=state)
    facility.network = network
    facility.save()
    rows = []
    for n in range(3):
        for role in roles:
            rows += full_answers(
                instrument,
                f"{role}{n}",
                role,
                lambda item: str(6 - value) if item.reverse_scored else str(value),
            )
    round_ = import_rows(facility, label, rows).round
    Round.objects.filter(pk=round_.pk).update(opened_on=opened_on)
    return facility


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
    html = login(leader).get(network.get_absolute_url()).content.decode()
    missing = html[html.index("Voices missing") :]
    assert "Site nurses-only" in missing and "Site everyone" not in missing


def test_query_count_stays_flat_as_sites_grow(network, leader, instrument):
    client = login(leader)
    for n in range(2):
        site(network, instrument, f"s{n}")
    with CaptureQueriesContext(connection) as small:
        client.get(network.get_absolute_url())
    for n in range(2, 8):
        site(network, instrument, f"s{n}")
    with CaptureQueriesContext(connection) as large:
        html = client.get(network.get_absolute_url()).content.decode()
    assert "Site s7" in html
    assert len(large) == len(small)


def test_downloads_neutralise_formulas_and_stream(network, leader, instrument):
    facility = site(network, instrument, "a", label="=cmd()")
    client = login(leader)
    response = client.get(reverse("network-comparison-csv", args=["valley"]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:6] == ["facility", "type", "state", "round", "opened_on", "overall"]
    assert rows[1][3] == "'=cmd()"
    # answer-level data only for sites whose owners allow it (tests/test_exports.py)
    Facility.objects.filter(pk=facility.pk).update(network_answer_access=True)
    response = client.get(reverse("network-answers-csv", args=["valley"]))
    answers = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert answers[0][0] == "facility" and len(answers) == 1 + 3 * 53
    assert {row[1] for row in answers[1:]} == {"'=cmd()"}
    response = client.get(reverse("network-answers-xlsx", args=["valley"]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    sheet = workbook.active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "facility" and len(values) == 1 + 3 * 53
    assert values[1][1] == "'=cmd()"
    assert Facility.objects.get(slug="a") == facility
