"""Peer benchmarks from real, independent peers (readiness.disclosure rule 5, benchmarks.py).

Who counts (verified and consenting facilities, each with its latest closed round that
has published results), who does not (anything the viewer's side can reach), the
thresholds (a median from 5 peers, quartiles from 10), the daily snapshot, verification
by the site administrator, what the dashboard shows, and the attack of security review
H1 played through the web views.
"""

from datetime import date, timedelta
from io import StringIO
from statistics import median
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from readiness import benchmarks
from readiness.benchmarks import (
    Benchmark,
    benchmarks_for,
    cache_token,
    excluded_facilities,
    snapshot,
    summarise,
)
from readiness.disclosure import MEDIAN_FROM, QUARTILES_FROM, released_summaries
from readiness.models import (
    AuditEvent,
    BenchmarkSnapshot,
    Determinant,
    Domain,
    Facility,
    Membership,
    Network,
    NetworkLeader,
    Partner,
    PartnerMembership,
    Round,
    Share,
)
from readiness.services.facilities import create_facility
from tests.clients import Client, results_json
from tests.conftest import full_answers, import_rows, make_user
from tests.pages import assert_valid_figure, cells, json_script, text_of
from tests.respondents import page_items, page_url, start, start_url

DAY = date(2026, 3, 2)
CODES = ["LEGAL", "POLICY", "COMMUNITY", "COMMS", "PARTNERS"]


def score(value: int) -> float:
    """The determinant score of answering ``value`` (1-5) to every statement."""
    return (value - 1) * 25.0


def answers(instrument, value: int, respondents: int = 3) -> list[tuple]:
    """Rows for ``respondents`` people scoring every determinant at score(value)."""
    rows = []
    for n in range(respondents):
        rows += full_answers(
            instrument,
            f"r{n}",
            "nurse",
            lambda item: str(6 - value) if item.reverse_scored else str(value),
        )
    return rows


def peer(
    instrument,
    slug,
    value,
    *,
    type="fqhc",
    contributes=True,
    verified=True,
    network=None,
    status="closed",
):
    """A facility with one round of three people answering ``value``.

    contributes: True, False or None (unset, the default); verified: verified_on set.
    """
    facility = create_facility(name=slug, slug=slug, type=type, state="CA")
    Facility.objects.filter(pk=facility.pk).update(
        contributes_to_benchmarks=contributes,
        verified_on=DAY - timedelta(days=30) if verified else None,
        network=network,
    )
    round_ = import_rows(facility, "R", answers(instrument, value)).round
    Round.objects.filter(pk=round_.pk).update(status=status)
    facility.refresh_from_db()
    return facility


def on(day):
    """Pretend today is ``day`` (snapshot days, shares' expiry, the cache token)."""
    return mock.patch("django.utils.timezone.localdate", return_value=day)


def benchmark_table(html: str) -> dict[str, dict]:
    """{determinant name: {"own": text, "type": (attrs, text), "all": (attrs, text)}}
    from the dashboard's comparison table; {} when the page has none."""
    table = {}
    for row in cells(html, "benchmark-table"):
        if row[0][0] != "th" or len(row) != 4 or row[1][0] != "td":
            continue  # the header row
        name, own, same, everyone = row
        table[name[2]] = {
            "own": own[2],
            "type": (same[1], same[2]),
            "all": (everyone[1], everyone[2]),
        }
    return table


def benchmark_figure(html: str) -> dict | None:
    return json_script(html, "benchmark-figure")


def names_by_code(instrument) -> dict[str, str]:
    return dict(
        Determinant.objects.filter(domain__instrument=instrument).values_list("code", "name")
    )


def dashboard(client, round_) -> str:
    response = client.get(round_.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


# --- The numbers ------------------------------------------------------------------------


def test_thresholds_and_whole_numbers_by_the_inclusive_method():
    assert (MEDIAN_FROM, QUARTILES_FROM) == (5, 10)
    assert benchmarks.MIN_PEERS == MEDIAN_FROM  # the older name still imports
    assert summarise([]) is None
    assert summarise([10, 20, 30, 40]) is None
    assert summarise([0, 25, 50, 75, 100]) == Benchmark(median=50, low=None, high=None, peers=5)
    nine = summarise([10.4, 20.2, 29.6, 40.0, 55.0, 60, 61, 62, 63])
    assert nine == Benchmark(median=55, low=None, high=None, peers=9)
    assert not nine.has_range
    # 0, 0, 25, 25, 50, 50, 75, 75, 100, 100: Q1 25, median 50, Q3 75
    ten = summarise([0, 0, 25, 25, 50, 50, 75, 75, 100, 100])
    assert ten == Benchmark(median=50, low=25, high=75, peers=10)
    assert ten.has_range
    # 10 values with fractional quartiles come out whole
    result = summarise([1.2, 2.7, 3.3, 4.9, 5.5, 6.1, 7.8, 8.2, 9.9, 10.4])
    assert all(isinstance(v, int) for v in (result.low, result.median, result.high))


def test_four_peers_no_benchmark_five_to_nine_a_median_ten_quartiles(facility, instrument):
    values = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]
    for n in range(4):
        peer(instrument, f"p{n}", values[n])
    assert benchmarks_for(facility, day=DAY)["all"]["LEGAL"] is None
    assert benchmarks_for(facility, day=DAY)["type"]["LEGAL"] is None

    peer(instrument, "p4", values[4])
    five = benchmarks_for(facility, day=DAY + timedelta(days=1))
    # peers' scores 0, 25, 50, 75, 100
    assert five["all"]["LEGAL"] == Benchmark(median=50, low=None, high=None, peers=5)
    assert five["type"]["LEGAL"] == Benchmark(median=50, low=None, high=None, peers=5)

    for n in range(5, 9):
        peer(instrument, f"p{n}", values[n])
    nine = benchmarks_for(facility, day=DAY + timedelta(days=2))["all"]["LEGAL"]
    assert nine.peers == 9 and nine.low is None and nine.high is None

    peer(instrument, "p9", values[9])
    ten = benchmarks_for(facility, day=DAY + timedelta(days=3))
    assert ten["all"]["LEGAL"] == Benchmark(median=50, low=25, high=75, peers=10)
    assert ten["all"].keys() == set(names_by_code(instrument))


def test_the_same_type_group_is_counted_on_its_own(facility, instrument):
    for n in range(5):
        peer(instrument, f"fqhc{n}", 4)
    for n in range(5):
        peer(instrument, f"acad{n}", 2, type="academic")
    result = benchmarks_for(facility, day=DAY)  # facility is an FQHC
    assert result["type"]["LEGAL"] == Benchmark(median=75, low=None, high=None, peers=5)
    assert result["all"]["LEGAL"].peers == 10


def test_results_json_carries_the_benchmarks(facility, owner, instrument, client):
    for n in range(5):
        peer(instrument, f"fqhc{n}", 4)
    round_ = import_rows(facility, "Own", answers(instrument, 2)).round
    client.force_login(owner)
    data = results_json(client, round_)
    assert data["benchmarks"]["type"]["LEGAL"] == {
        "median": 75,
        "low": None,
        "high": None,
        "peers": 5,
    }
    assert data["benchmarks"]["all"].keys() == set(names_by_code(instrument))
    assert data["benchmarks_suppressed"] is None


# --- Who counts -----------------------------------------------------------------------


def test_unverified_facilities_never_count(facility, instrument):
    for n in range(4):
        peer(instrument, f"real{n}", 3)
    for n in range(6):
        peer(instrument, f"self-made{n}", 5, verified=False)
    result = benchmarks_for(facility, day=DAY)
    assert result["all"]["LEGAL"] is None and result["type"]["LEGAL"] is None
    unverified = set(
        Facility.objects.filter(slug__startswith="self-made").values_list("pk", flat=True)
    )
    assert not unverified & {entry["facility"] for entry in snapshot(DAY).peers}

    # Verified by the site administrator, one counts from the next day's snapshot on.
    call_command("verify_facility", "self-made0", stdout=StringIO())
    assert benchmarks_for(facility, day=DAY)["all"]["LEGAL"] is None  # same day
    after = benchmarks_for(facility, day=DAY + timedelta(days=1))["all"]["LEGAL"]
    assert after == Benchmark(median=50, low=None, high=None, peers=5)


def test_a_networks_sites_count_when_they_consent(facility, instrument):
    network = Network.objects.create(name="N", slug="n")
    sites = [
        peer(instrument, f"site{n}", 3, contributes=None, verified=False, network=network)
        for n in range(5)
    ]
    assert all(site.is_verified and site.contributes for site in sites)
    assert benchmarks_for(facility, day=DAY)["all"]["LEGAL"].peers == 5
    Facility.objects.filter(slug="site0").update(contributes_to_benchmarks=False)
    assert benchmarks_for(facility, day=DAY + timedelta(days=1))["all"]["LEGAL"] is None


def test_declined_open_and_own_results_do_not_count(facility, instrument):
    for n in range(5):
        peer(instrument, f"p{n}", 3)
    peer(instrument, "declined", 5, contributes=False)
    peer(instrument, "unset", 5, contributes=None)  # not in a network: off
    peer(instrument, "still-open", 5, status="open")
    Facility.objects.filter(pk=facility.pk).update(contributes_to_benchmarks=True, verified_on=DAY)
    import_rows(facility, "Own", answers(instrument, 5))
    Round.objects.filter(facility=facility).update(status="closed")
    benchmark = benchmarks_for(facility, day=DAY)["all"]["LEGAL"]
    assert benchmark == Benchmark(median=50, low=None, high=None, peers=5)
    assert facility.pk in {entry["facility"] for entry in snapshot(DAY).peers}  # for others


def test_each_peer_counts_with_its_latest_closed_round_that_has_published_results(
    facility, instrument
):
    for n in range(4):
        peer(instrument, f"p{n}", 3)
    late = peer(instrument, "late", 5)  # closed round "R": 100 everywhere
    # A later closed round with two people publishes nothing: "R" still counts.
    import_rows(late, "Too small", answers(instrument, 1, respondents=2))
    # A later open round does not count either.
    import_rows(late, "Open", answers(instrument, 1))
    Round.objects.filter(facility=late, label="Too small").update(status="closed")
    entry = next(e for e in snapshot(DAY).peers if e["facility"] == late.pk)
    assert (entry["type"], entry["version"]) == ("fqhc", instrument.version)
    assert entry["scores"]["LEGAL"] == pytest.approx(100.0)
    # Once a later round closes with published results, it replaces "R" the next day.
    Round.objects.filter(facility=late, label="Open").update(status="closed")
    entry = next(e for e in snapshot(DAY + timedelta(days=1)).peers if e["facility"] == late.pk)
    assert entry["scores"]["LEGAL"] == pytest.approx(0.0)
    # Latest by when a round opened, not by when it was entered: last year's paper
    # survey, imported afterwards, does not replace it.
    opened = Round.objects.get(facility=late, label="Open").opened_on
    paper = import_rows(late, "Paper, last year", answers(instrument, 5)).round
    Round.objects.filter(pk=paper.pk).update(status="closed", opened_on=opened - timedelta(365))
    entry = next(e for e in snapshot(DAY + timedelta(days=2)).peers if e["facility"] == late.pk)
    assert entry["scores"]["LEGAL"] == pytest.approx(0.0)


def test_a_peer_counts_with_its_latest_round_that_reaches_its_own_minimum(facility, instrument):
    """A peer whose owners raised their minimum to 4: its latest closed round, of three
    people, publishes nothing under it; the one before, of four, counts."""
    for n in range(4):
        peer(instrument, f"p{n}", 3)
    strict = peer(instrument, "strict", 5)  # "R", three people: 100 everywhere
    earlier = import_rows(strict, "Earlier", answers(instrument, 1, respondents=4)).round
    Round.objects.filter(pk=earlier.pk).update(
        status="closed", opened_on=strict.rounds.get(label="R").opened_on - timedelta(365)
    )
    Facility.objects.filter(pk=strict.pk).update(min_group=4)
    entry = next(e for e in snapshot(DAY).peers if e["facility"] == strict.pk)
    assert entry["scores"]["LEGAL"] == pytest.approx(0.0)


def test_a_peer_whose_latest_round_shows_nothing_leaves_the_others_counted(facility, instrument):
    """Three people who answered "don't know" to everything: published, but with no score
    to show. That peer, entered first, is left out; the five after it count."""
    blank = create_facility(name="Blank", slug="blank", type="fqhc", state="CA")
    Facility.objects.filter(pk=blank.pk).update(
        contributes_to_benchmarks=True, verified_on=DAY - timedelta(days=30)
    )
    rows = [
        row for n in range(3) for row in full_answers(instrument, f"r{n}", "nurse", lambda i: "DK")
    ]
    Round.objects.filter(pk=import_rows(blank, "R", rows).round.pk).update(status="closed")
    five_peers(instrument)
    assert blank.pk not in {entry["facility"] for entry in snapshot(DAY).peers}
    assert benchmarks_for(facility, day=DAY)["all"]["LEGAL"].peers == 5


# --- Who is not a peer ------------------------------------------------------------------


def five_peers(instrument):
    return [peer(instrument, f"p{n}", 3) for n in range(5)]


def test_a_peer_the_owner_is_also_a_member_of_is_excluded_and_not_counted(
    facility, owner, instrument, django_assert_num_queries
):
    peers = five_peers(instrument)
    assert benchmarks_for(facility, day=DAY)["all"]["LEGAL"].peers == 5
    Membership.objects.create(user=owner, facility=peers[0], level=Membership.Level.VIEWER)
    with django_assert_num_queries(1):
        excluded = excluded_facilities(facility)
    assert excluded == {facility.pk, peers[0].pk}
    # The same snapshot, four peers left: no benchmark at all, not one of four.
    assert benchmarks_for(facility, day=DAY)["all"]["LEGAL"] is None
    assert benchmarks_for(facility, day=DAY)["type"]["LEGAL"] is None


def test_a_peer_reachable_by_any_member_is_excluded(facility, viewer, instrument):
    peers = five_peers(instrument)
    Membership.objects.create(user=viewer, facility=peers[3], level=Membership.Level.OWNER)
    assert excluded_facilities(facility) == {facility.pk, peers[3].pk}
    assert benchmarks_for(facility, day=DAY)["all"]["LEGAL"] is None


def test_a_peer_sharing_with_a_partner_the_owner_belongs_to_is_excluded(
    facility, owner, instrument
):
    peers = five_peers(instrument)
    partner = Partner.objects.create(name="Advocates", slug="advocates")
    PartnerMembership.objects.create(user=owner, partner=partner)
    share = Share.objects.create(facility=peers[1], partner=partner, accepted_at=timezone.now())
    assert excluded_facilities(facility) == {facility.pk, peers[1].pk}
    assert benchmarks_for(facility, day=DAY)["all"]["LEGAL"] is None
    # A share no longer in force reaches nothing.
    share.revoked_at = timezone.now()
    share.save()
    assert excluded_facilities(facility) == {facility.pk}
    Share.objects.create(
        facility=peers[1],
        partner=partner,
        expires_on=DAY - timedelta(days=1),
        accepted_at=timezone.now(),
    )
    with on(DAY):
        assert excluded_facilities(facility) == {facility.pk}
        assert benchmarks_for(facility)["all"]["LEGAL"].peers == 5


def test_the_sites_of_networks_the_facilitys_network_leader_leads_are_excluded(
    facility, instrument
):
    own_network = Network.objects.create(name="Own", slug="own")
    other_network = Network.objects.create(name="Other", slug="other-network")
    Facility.objects.filter(pk=facility.pk).update(network=own_network)
    facility.refresh_from_db()
    leader = make_user("leader")
    NetworkLeader.objects.create(user=leader, network=own_network)
    sites = [
        peer(instrument, f"site{n}", 3, contributes=None, verified=False, network=other_network)
        for n in range(5)
    ]
    unrelated = [peer(instrument, f"p{n}", 3) for n in range(5)]
    assert benchmarks_for(facility, day=DAY)["all"]["LEGAL"].peers == 10
    NetworkLeader.objects.create(user=leader, network=other_network)
    assert excluded_facilities(facility) == {facility.pk} | {site.pk for site in sites}
    assert benchmarks_for(facility, day=DAY)["all"]["LEGAL"].peers == len(unrelated)
    # A sibling site of the facility's own network is reachable by its leader too.
    sibling = peer(instrument, "sibling", 3, contributes=None, verified=False, network=own_network)
    assert sibling.pk in excluded_facilities(facility)
    # With a network, what the facility's own members reach is left out as before.
    member = make_user("member")
    Membership.objects.create(user=member, facility=facility)
    Membership.objects.create(user=member, facility=unrelated[0])
    assert unrelated[0].pk in excluded_facilities(facility)


def test_a_facility_nobody_belongs_to_yet_is_not_its_own_peer(instrument):
    lonely = peer(instrument, "lonely", 3)
    five_peers(instrument)
    assert excluded_facilities(lonely) == {lonely.pk}
    assert benchmarks_for(lonely, day=DAY)["all"]["LEGAL"].peers == 5


def test_peers_in_a_snapshot_from_before_versions_were_kept_count_as_the_same_version(
    facility, instrument
):
    """Snapshots taken before entries carried the questionnaire version (they last until
    the next day's) hold peers of the one version there was."""
    BenchmarkSnapshot.objects.create(
        day=DAY,
        peers=[
            {"facility": 10_000 + n, "type": "fqhc", "scores": {"LEGAL": 50.0}} for n in range(5)
        ],
    )
    compared = benchmarks_for(facility, day=DAY, instrument=instrument)["all"]
    assert compared["LEGAL"] == Benchmark(median=50, low=None, high=None, peers=5)


def test_an_unrelated_users_reach_does_not_matter(facility, outsider, instrument):
    peers = five_peers(instrument)
    Membership.objects.create(user=outsider, facility=peers[0])
    assert excluded_facilities(facility) == {facility.pk}
    assert benchmarks_for(facility, day=DAY)["all"]["LEGAL"].peers == 5


# --- The daily snapshot ------------------------------------------------------------------


def test_the_snapshot_is_taken_once_a_day(facility, owner, instrument, django_assert_num_queries):
    peers = [peer(instrument, f"p{n}", 3) for n in range(5)]
    late = peer(instrument, "late", 5, contributes=False)
    client = Client()
    client.force_login(owner)
    with on(DAY):
        before = benchmarks_for(facility)
        assert before["all"]["LEGAL"] == Benchmark(median=50, low=None, high=None, peers=5)
        with django_assert_num_queries(0):
            snapshot()  # kept in memory for the day
        # During the day: one opts out, one opts in, another closes an extreme round.
        Membership.objects.create(user=owner, facility=late)  # so the owner may consent
        Membership.objects.create(user=owner, facility=peers[0])
        client.post(reverse("benchmark-consent", args=[peers[0].slug]), {})
        client.post(reverse("benchmark-consent", args=[late.slug]), {"contributes": "on"})
        Membership.objects.filter(user=owner).exclude(facility=facility).delete()
        import_rows(peers[1], "Extreme", answers(instrument, 1))
        Round.objects.filter(facility=peers[1], label="Extreme").update(status="closed")
        benchmarks.forget()  # another process: the row in the database, not the memo
        assert benchmarks_for(facility) == before
    assert BenchmarkSnapshot.objects.get().day == DAY
    with on(DAY + timedelta(days=1)):
        after = benchmarks_for(facility)["all"]["LEGAL"]
    # p0 left, late (100) joined, p1 now 0: 0, 50, 50, 50, 100
    assert after == Benchmark(median=50, low=None, high=None, peers=5)
    entries = {e["facility"]: e for e in snapshot(DAY + timedelta(days=1)).peers}
    assert peers[0].pk not in entries and late.pk in entries
    assert entries[peers[1].pk]["scores"]["LEGAL"] == pytest.approx(0.0)
    # the older day's snapshot is gone
    assert list(BenchmarkSnapshot.objects.values_list("day", flat=True)) == [
        DAY + timedelta(days=1)
    ]


def test_a_snapshot_another_process_took_meanwhile_is_used(facility, instrument):
    five_peers(instrument)
    taken = []

    def meanwhile():
        # Another request stores the day's snapshot while this one computes its own.
        taken.append(BenchmarkSnapshot.objects.create(day=DAY, peers=[]))
        return [{"facility": 0, "type": "fqhc", "scores": {}}]

    with mock.patch.object(benchmarks, "contributions", side_effect=meanwhile):
        row = snapshot(DAY)
    assert row.pk == taken[0].pk and row.peers == []
    assert BenchmarkSnapshot.objects.count() == 1


def test_the_cache_token_changes_with_the_day_and_the_excluded_facilities(
    facility, owner, instrument
):
    peers = five_peers(instrument)
    with on(DAY):
        token = cache_token(facility)
        assert cache_token(facility) == token
        Membership.objects.create(user=owner, facility=peers[0])
        assert cache_token(facility) != token
        # as many excluded, but another one: the token changes too
        token = cache_token(facility)
        Membership.objects.filter(user=owner, facility=peers[0]).update(facility=peers[1])
        assert cache_token(facility) != token
    with on(DAY + timedelta(days=1)):
        assert cache_token(facility) != token


# --- Verification and consent ----------------------------------------------------------


def test_verify_facility_command(facility):
    out = StringIO()
    with on(DAY):
        call_command("verify_facility", "mercy", stdout=out)
    facility.refresh_from_db()
    assert facility.verified_on == DAY and facility.is_verified
    assert "verified since 2026-03-02" in out.getvalue()
    event = AuditEvent.objects.get(action=AuditEvent.Action.FACILITY_VERIFIED)
    assert event.facility == facility and event.detail == {"verified": True}

    out = StringIO()
    call_command("verify_facility", "mercy", stdout=out)  # again: nothing changes
    assert "already verified on 2026-03-02" in out.getvalue()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.FACILITY_VERIFIED).count() == 1

    call_command("verify_facility", "mercy", "--undo", stdout=StringIO())
    facility.refresh_from_db()
    assert facility.verified_on is None and not facility.is_verified
    assert list(
        AuditEvent.objects.filter(action=AuditEvent.Action.FACILITY_VERIFIED)
        .order_by("pk")
        .values_list("detail", flat=True)
    ) == [{"verified": True}, {"verified": False}]

    with pytest.raises(CommandError, match="No facility"):
        call_command("verify_facility", "nowhere", stdout=StringIO())


def test_owners_choose_whether_to_contribute_and_it_is_audited(facility, owner):
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
    actions = list(
        AuditEvent.objects.filter(facility=facility).order_by("pk").values_list("action", flat=True)
    )
    assert actions == [AuditEvent.Action.BENCHMARKS_JOINED, AuditEvent.Action.BENCHMARKS_LEFT]


def test_the_members_page_says_whether_the_facility_counts(facility, owner):
    client = Client()
    client.force_login(owner)
    url = reverse("facility-members", args=[facility.slug])
    text = text_of(client.get(url).content.decode(), "benchmark-verification")
    assert text == (
        "A facility counts in other facilities' comparisons only once a site administrator "
        "has verified it, or when it belongs to a network. This facility is not verified "
        "yet, so it does not count in others' comparisons, whatever you choose here."
    )
    Facility.objects.filter(pk=facility.pk).update(verified_on=DAY)
    text = text_of(client.get(url).content.decode(), "benchmark-verification")
    assert text.endswith("This facility is verified.")


# --- The dashboard ------------------------------------------------------------------------


def test_the_dashboard_shows_how_many_peers_each_figure_rests_on(facility, owner, instrument):
    values = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]
    for n in range(7):
        peer(instrument, f"p{n}", values[n])
    own = import_rows(facility, "Own", answers(instrument, 4)).round
    client = Client()
    client.force_login(owner)
    name = names_by_code(instrument)["LEGAL"]

    with on(DAY):
        html = dashboard(client, own)
    table = benchmark_table(html)
    assert set(table) == set(names_by_code(instrument).values())
    attrs, text = table[name]["type"]
    # 0, 25, 50, 75, 100, 0, 25: median 25 of 7, no middle half below 10
    assert text == "median 25 of 7 facilities"
    assert attrs == {"data-median": "25", "data-peers": "7"}
    assert table[name]["own"] == "75"
    figure = benchmark_figure(html)
    assert_valid_figure(figure)
    # only the medians are drawn, no middle half below 10 facilities; the legend names
    # exactly the traces drawn
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert list(traces) == [
        "Median, facilities of your type",
        "Median, all participating facilities",
        "Your facility",
    ]
    row = traces["Your facility"]["text"].index(name)
    assert traces["Median, facilities of your type"]["x"][row] == 25
    assert traces["Your facility"]["x"][row] == 75

    for n in range(7, 10):
        peer(instrument, f"p{n}", values[n])
    with on(DAY + timedelta(days=1)):
        html = dashboard(client, own)  # a new day: a new snapshot and a new cache entry
    attrs, text = benchmark_table(html)[name]["all"]
    assert text == "median 50 of 10 facilities; middle half 25–75"
    assert attrs == {"data-median": "50", "data-peers": "10", "data-low": "25", "data-high": "75"}
    figure = benchmark_figure(html)
    assert_valid_figure(figure)
    traces = {trace["name"]: trace for trace in figure["data"]}
    row = traces["Your facility"]["text"].index(name)
    assert traces["Median, all participating facilities"]["x"][row] == 50
    # the middle half is a line from the first to the third quartile on that row
    middle = traces["Middle half, all participating facilities"]
    segments = list(zip(middle["x"][0::3], middle["x"][1::3], middle["y"][0::3], strict=True))
    median_y = traces["Median, all participating facilities"]["y"][row]
    assert (25, 75, median_y) in segments


# --- The attack of security review H1, through the web views ----------------------------


def extreme_page(round_, number, low: bool) -> dict:
    """Every statement of a page answered to score 0 (low) or 100 (high)."""
    data = {}
    for item in page_items(round_, number):
        worst, best = ("5", "1") if item.reverse_scored else ("1", "5")
        data[f"item-{item.code}"] = worst if low else best
    data["direction"] = "next"
    return data


def test_fake_peers_cannot_single_out_a_real_lone_peer(owner, instrument):
    """Any signed-in account could create facilities, answer their rounds with extreme
    values through the respondent link and opt them in; two low and two high fakes
    around a real facility of a rare type made the "facilities of your type" quartiles
    that facility's scores. Now the fakes count for nothing, and even verified they would
    not count in their creator's own view."""
    # The real lone peer: a verified free clinic, scores 25, taking part.
    lone = peer(instrument, "real-free-clinic", 2, type="free_clinic")
    Membership.objects.create(user=owner, facility=lone)
    # Five verified FQHCs (scores 75) give everyone an "all facilities" comparison.
    for n in range(5):
        peer(instrument, f"fqhc{n}", 4)

    attacker = make_user("attacker")
    client = Client()
    client.force_login(attacker)
    pages = Domain.objects.filter(instrument=instrument).count()
    fakes = []
    for n, low in enumerate([True, True, False, False]):
        slug = f"fake-{n}"
        response = client.post(
            reverse("facility-create"),
            {"name": f"Fake clinic {n}", "slug": slug, "type": "free_clinic", "state": "CA"},
        )
        assert response.status_code == 302
        response = client.post(reverse("round-open", args=[slug]), {"label": "Spring"})
        assert response.status_code == 302
        round_ = Round.objects.get(facility__slug=slug)
        assert client.get(start_url(round_)).status_code == 200  # the respondent link
        for person in range(3):  # the smallest group shown
            token, _ = start(client, round_, nonce=f"attack-{n}-{person}-{'x' * 20}")
            for number in range(1, pages + 1):
                response = client.post(page_url(token, number), extreme_page(round_, number, low))
                assert response.status_code == 302
            assert response["Location"].endswith(reverse("respondent-done", args=[token]))
        close = reverse("round-close", args=[slug, round_.pk])
        assert client.post(close, {"confirm": "yes"}).status_code == 302
        response = client.post(reverse("benchmark-consent", args=[slug]), {"contributes": "on"})
        assert response.status_code == 302
        fakes.append(Facility.objects.get(slug=slug))
    assert all(f.contributes and not f.is_verified for f in fakes)
    fake_ids = {f.pk for f in fakes}
    fake_rounds = Round.objects.filter(facility__in=fakes, status=Round.Status.CLOSED)
    published = released_summaries(fake_rounds.values("pk"))
    codes = names_by_code(instrument)
    # The attack is real: the fakes' published scores are 0, 0, 100, 100 everywhere, so
    # with the lone clinic they would make a group of five whose median is its score.
    for code in codes:
        fake_scores = sorted(summary.determinants[code] for summary in published.values())
        assert fake_scores == pytest.approx([0, 0, 100, 100])
        assert median([*fake_scores, score(2)]) == score(2)
    fake_round = Round.objects.get(facility=fakes[0])

    with on(DAY):
        # The fakes are in nobody's benchmarks: not in the snapshot everything comes from.
        assert not fake_ids & {entry["facility"] for entry in snapshot().peers}
        # The attacker's own dashboard has no type comparison at all.
        html = dashboard(client, fake_round)
        data = client.get(reverse("round-results-json", args=[fakes[0].slug, fake_round.pk])).json()
    for code in codes:
        assert benchmarks_for(fakes[0], day=DAY)["type"].get(code) is None
    assert {data["benchmarks"]["type"].get(code) for code in codes} == {None}
    table = benchmark_table(html)
    assert set(table) == set(codes.values())
    for row in table.values():
        attrs, text = row["type"]
        assert (attrs, text) == ({}, "too few facilities")
        # "all": the five FQHCs and the lone clinic, 75 75 75 75 75 25: median 75 of 6
        assert row["all"] == ({"data-median": "75", "data-peers": "6"}, "median 75 of 6 facilities")
    figure = benchmark_figure(html)
    assert [trace["name"] for trace in figure["data"]] == [
        "Median, all participating facilities",
        "Your facility",
    ]
    # No figure the attacker sees is the lone clinic's score.
    seen = benchmarks_for(fakes[0], day=DAY)
    assert set(seen["type"].values()) == {None}  # the lone clinic alone: nothing
    shown = list(seen["all"].values())
    assert len(shown) == len(codes) and all(b.peers == 6 for b in shown)
    assert score(2) not in {v for b in shown for v in (b.median, b.low, b.high)}
    # The real clinic's owners see no fakes in their comparison either.
    assert benchmarks_for(lone, day=DAY)["type"].get("LEGAL") is None

    # Even if a site administrator were talked into verifying the fakes, the attacker's
    # own view leaves out every facility the attacker can reach: still no type benchmark.
    for fake in fakes:
        call_command("verify_facility", fake.slug, stdout=StringIO())
    next_day = DAY + timedelta(days=1)
    assert fake_ids <= {entry["facility"] for entry in snapshot(next_day).peers}
    assert excluded_facilities(fakes[0]) == fake_ids
    with on(next_day):
        html = dashboard(client, fake_round)
    for row in benchmark_table(html).values():
        assert row["type"] == ({}, "too few facilities")
        assert row["all"][0]["data-peers"] == "6"
    for code in codes:
        assert benchmarks_for(fakes[0], day=next_day)["type"].get(code) is None


def test_the_consent_and_verification_rules_say_the_same_in_a_query_and_of_one_facility(
    db, network
):
    """Facility.contributes and is_verified (pages) and Facility.objects.contributing()
    (the snapshot) are one rule: in every case they agree."""
    made = []
    for n, (consent, in_network, verified_on) in enumerate(
        (consent, in_network, verified_on)
        for consent in (None, True, False)
        for in_network in (False, True)
        for verified_on in (None, date(2026, 1, 1))
    ):
        made.append(
            Facility.objects.create(
                name=f"F{n}",
                slug=f"f{n}",
                type="fqhc",
                state="CA",
                contributes_to_benchmarks=consent,
                network=network if in_network else None,
                verified_on=verified_on,
            )
        )
    by_query = set(Facility.objects.contributing().values_list("pk", flat=True))
    by_property = {f.pk for f in made if f.contributes and f.is_verified}
    assert by_query == by_property
    # unset consent counts for a network's sites only; a refusal always wins
    assert {
        (f.contributes_to_benchmarks, f.network_id is not None) for f in made if f.pk in by_query
    } == {
        (None, True),
        (True, True),
        (True, False),
    }
