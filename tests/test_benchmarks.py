"""Peer benchmarks: the minimum group, who is excluded, and whole-number quartiles."""

import pytest
from django.test import Client
from django.urls import reverse

from readiness.benchmarks import MIN_PEERS, Benchmark, peer_benchmarks, summarise
from readiness.models import Facility, Round
from readiness.services.facilities import create_facility
from tests.conftest import full_answers, import_rows


def peer(instrument, slug, value, *, type="fqhc", contributes=True, status="closed"):
    """A facility with one round; contributes: True, False or None (the default)."""
    facility = create_facility(name=slug, slug=slug, type=type, state="CA")
    Facility.objects.filter(pk=facility.pk).update(contributes_to_benchmarks=contributes)
    rows = full_answers(
        instrument, "p", "nurse", lambda item: str(6 - value) if item.reverse_scored else str(value)
    )
    round_ = import_rows(facility, "R", rows).round
    Round.objects.filter(pk=round_.pk).update(status=status)
    return facility


def test_quartiles_are_whole_numbers_by_the_inclusive_method():
    # 0, 25, 50, 75, 100: Q1 25, median 50, Q3 75
    assert summarise([0, 25, 50, 75, 100]) == Benchmark(25, 50, 75, 5)
    # 10, 20, 30, 40, 55: Q1 20, median 30, Q3 40
    assert summarise([10.4, 20.2, 29.6, 40.0, 55.0]) == Benchmark(20, 30, 40, 5)
    assert summarise([1, 2, 3, 4]) is None  # fewer than MIN_PEERS


def test_a_benchmark_needs_at_least_five_other_facilities(facility, instrument):
    assert MIN_PEERS == 5
    for n in range(4):
        peer(instrument, f"p{n}", 1 + n)
    assert peer_benchmarks(facility)["all"]["LEGAL"] is None
    peer(instrument, "p4", 5)
    benchmark = peer_benchmarks(facility)["all"]["LEGAL"]
    assert benchmark == Benchmark(25, 50, 75, 5)  # peers' scores 0, 25, 50, 75, 100


def test_non_contributing_open_and_own_results_are_excluded(facility, instrument):
    for n in range(5):
        peer(instrument, f"p{n}", 3)
    peer(instrument, "declined", 5, contributes=False)
    peer(instrument, "still-open", 5, status="open")
    Facility.objects.filter(pk=facility.pk).update(contributes_to_benchmarks=True)
    import_rows(facility, "Own", full_answers(instrument, "o", "nurse", lambda item: "5"))
    Round.objects.filter(facility=facility).update(status="closed")
    benchmark = peer_benchmarks(facility)["all"]["LEGAL"]
    assert benchmark.peers == 5 and benchmark.median == 50


def test_same_type_group_is_separate(facility, instrument):
    for n in range(5):
        peer(instrument, f"fqhc{n}", 4)
    for n in range(5):
        peer(instrument, f"acad{n}", 2, type="academic")
    result = peer_benchmarks(facility)  # facility is an FQHC
    assert result["type"]["LEGAL"].median == 75
    assert result["all"]["LEGAL"].peers == 10


def test_the_dashboard_shows_the_comparison_to_members_only(facility, owner, instrument):
    for n in range(5):
        peer(instrument, f"p{n}", 3)
    round_ = import_rows(
        facility, "Own", full_answers(instrument, "o", "nurse", lambda i: "4")
    ).round
    client = Client()
    client.force_login(owner)
    html = client.get(round_.get_absolute_url()).content.decode()
    assert "Compared with other facilities" in html and 'id="benchmark-figure"' in html
    assert "p0" not in html  # peers are never named
    import plotly.graph_objects as go

    from readiness import charts
    from readiness.scoring import score_round

    go.Figure(charts.benchmark_chart(score_round(round_), peer_benchmarks(facility)))


def test_owners_choose_whether_to_contribute(facility, owner):
    client = Client()
    client.force_login(owner)
    url = reverse("benchmark-consent", args=[facility.slug])
    assert not facility.contributes  # off by default outside a network
    client.post(url, {"contributes": "on"})
    facility.refresh_from_db()
    assert facility.contributes
    client.post(url, {})
    facility.refresh_from_db()
    assert not facility.contributes


def test_a_networks_sites_contribute_unless_they_opt_out(facility, instrument):
    from readiness.models import Network

    network = Network.objects.create(name="N", slug="n")
    for n in range(5):
        member = peer(instrument, f"p{n}", 3, contributes=None)
        assert not member.contributes
        Facility.objects.filter(pk=member.pk).update(network=network)
    assert peer_benchmarks(facility)["all"]["LEGAL"].peers == 5
    Facility.objects.filter(slug="p0").update(contributes_to_benchmarks=False)
    assert peer_benchmarks(facility)["all"]["LEGAL"] is None


@pytest.mark.parametrize("value", [3])
def test_benchmark_numbers_do_not_reveal_a_single_peer(facility, instrument, value):
    """With five identical peers and a sixth joining, the whole-number figures move only
    as a group statistic does; the sixth facility's exact score cannot be read off."""
    for n in range(5):
        peer(instrument, f"p{n}", value)
    before = peer_benchmarks(facility)["all"]["COMMS"]
    peer(instrument, "joiner", 4)
    after = peer_benchmarks(facility)["all"]["COMMS"]
    assert (before.low, before.median) == (after.low, after.median)
    assert after.peers == 6
