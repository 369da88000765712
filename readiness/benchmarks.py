"""Peer benchmarks from real, independent peers (readiness.disclosure, rule 5).

For each determinant, the median of other facilities' published scores and, from
QUARTILES_FROM peers, their middle half (first to third quartile), in whole numbers, for
facilities of the same type and for all. Peers are never named.

Who counts:

* Only facilities whose owners agreed (a network's sites unless they opted out), AND that
  are verified: a site administrator verified them (``manage.py verify_facility``), or
  they belong to a network. A facility anyone creates for themselves counts for nothing
  until then, so nobody can surround a real facility with fake peers of their own.
* Each with its latest closed round that has published results (disclosure.released_summaries),
  so every peer score already obeys the minimum-group rules.
* Not the facilities that anyone who sees this facility's benchmarks can reach
  (``excluded_facilities``): a viewer who controls or reads a peer could otherwise take
  its known scores away from the group and read the rest. They do not count towards the
  group size either.
* A median needs MEDIAN_FROM peers, quartiles QUARTILES_FROM.

Everything comes from a daily snapshot (BenchmarkSnapshot) taken on first need each day,
so one facility joining, leaving or closing a round changes nothing until the next day,
and cannot be read off a before/after comparison within the day.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from statistics import median, quantiles

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from readiness.disclosure import MEDIAN_FROM, QUARTILES_FROM, released_summaries
from readiness.models import (
    BenchmarkSnapshot,
    Facility,
    Membership,
    NetworkLeader,
    PartnerMembership,
    Round,
    Share,
)
from readiness.scoring import RoundSummary, comparable, shown

# Kept for older imports: the fewest peers for any benchmark (a median).
MIN_PEERS = MEDIAN_FROM


@dataclass(frozen=True)
class Benchmark:
    median: int
    low: int | None  # first quartile; None below QUARTILES_FROM peers
    high: int | None  # third quartile; None below QUARTILES_FROM peers
    peers: int  # how many facilities it rests on

    @property
    def has_range(self) -> bool:
        return self.low is not None and self.high is not None


def summarise(values: list[float]) -> Benchmark | None:
    """Whole numbers: None below MEDIAN_FROM values, the median alone below
    QUARTILES_FROM, then also the quartiles (inclusive method)."""
    n = len(values)
    if n < MEDIAN_FROM:
        return None
    middle = shown(median(values))  # rounded as every page rounds a score
    if n < QUARTILES_FROM:
        return Benchmark(median=middle, low=None, high=None, peers=n)
    q1, _, q3 = quantiles(values, n=4, method="inclusive")
    return Benchmark(median=middle, low=shown(q1), high=shown(q3), peers=n)


# --- The daily snapshot ---------------------------------------------------------------

# The loaded snapshot of the day, per process: {day: BenchmarkSnapshot}.
_memo: dict[date, BenchmarkSnapshot] = {}


def forget() -> None:
    """Drop the per-process memo (tests, whose databases are rolled back)."""
    _memo.clear()


def contributions() -> list[dict]:
    """What today's snapshot holds: every contributing facility's latest closed round
    with published results, as [{"facility": id, "type": type, "scores": {code: score}}].

    One query finds the rounds (each facility's latest closed round whose published
    results reach its minimum group, or that has none yet: a round from before
    published results existed); released_summaries reads them in one more.
    """
    publishable = Q(release__isnull=True) | (
        Q(release__respondents__gte=settings.DISCLOSURE_MIN_GROUP)
        & (
            Q(facility__min_group__isnull=True)
            | Q(release__respondents__gte=F("facility__min_group"))
        )
    )
    latest = (
        Round.objects.filter(publishable, facility=OuterRef("pk"), status=Round.Status.CLOSED)
        .order_by("-opened_on", "-pk")
        .values("pk")[:1]
    )
    rows = [
        row
        for row in Facility.objects.contributing()
        .annotate(latest=Subquery(latest))
        .order_by()
        .values_list("pk", "type", "latest")
        if row[2] is not None
    ]
    summaries = released_summaries([round_id for _pk, _type, round_id in rows])
    peers = []
    for facility_id, facility_type, round_id in sorted(rows):
        summary = summaries.get(round_id)
        if summary is None:  # nothing to show under the minimum
            continue
        peers.append(
            {
                "facility": facility_id,
                "type": facility_type,
                "version": summary.instrument_version,
                "scores": {code: score for code, score in sorted(summary.determinants.items())},
            }
        )
    return peers


def snapshot(day: date | None = None) -> BenchmarkSnapshot:
    """The day's snapshot (today's by default), taken on first need and kept all day.

    Two requests taking it at once both compute it; the unique day lets one row win and
    the other reads it. Older days' snapshots are deleted when a new one is taken.
    """
    day = day or timezone.localdate()
    row = _memo.get(day)
    if row is not None:
        return row
    row = BenchmarkSnapshot.objects.filter(day=day).first()
    if row is None:
        peers = contributions()
        try:
            with transaction.atomic():
                row = BenchmarkSnapshot.objects.create(day=day, peers=peers)
        except IntegrityError:  # another request took the day's snapshot meanwhile
            row = BenchmarkSnapshot.objects.get(day=day)
        else:
            BenchmarkSnapshot.objects.filter(day__lt=day).delete()
    _memo.clear()  # one day at a time
    _memo[day] = row
    return row


# --- Who is not a peer ------------------------------------------------------------------


def excluded_facilities(facility: Facility) -> set[int]:
    """The facility and every facility reachable by anyone who sees its benchmarks (its
    members and its network's leaders): facilities they are members of, facilities of
    networks they lead, and facilities sharing (an active share) with a partner
    organisation they belong to. One query."""
    viewers = Q(user__in=Membership.objects.filter(facility_id=facility.pk).values("user_id"))
    if facility.network_id is not None:
        viewers |= Q(
            user__in=NetworkLeader.objects.filter(network_id=facility.network_id).values("user_id")
        )
    reachable = (
        Q(pk=facility.pk)
        | Q(pk__in=Membership.objects.filter(viewers).values("facility_id"))
        | Q(network__in=NetworkLeader.objects.filter(viewers).values("network_id"))
        | Q(
            pk__in=Share.objects.active()
            .filter(partner__in=PartnerMembership.objects.filter(viewers).values("partner_id"))
            .values("facility_id")
        )
    )
    return set(Facility.objects.filter(reachable).order_by().values_list("pk", flat=True))


# --- What a facility's dashboard shows ------------------------------------------------


def peer_scores(facility: Facility, *, day: date | None = None) -> list[dict]:
    """The day's snapshot entries that count as this facility's peers."""
    excluded = excluded_facilities(facility)
    return [entry for entry in snapshot(day).peers if entry["facility"] not in excluded]


def benchmarks_for(
    facility: Facility, *, day: date | None = None, instrument=None
) -> dict[str, dict[str, Benchmark | None]]:
    """{"type": {determinant code: Benchmark or None}, "all": {...}}: the facility's
    peers of its own type, and all of them. A code no peer has is absent.

    ``instrument``: the version of the round being compared. A peer whose round used
    another version counts only for the determinants that carried over between the two
    (scoring.comparable), so that two meanings of one code are never mixed."""
    values: dict[str, dict[str, list[float]]] = {"type": {}, "all": {}}
    for entry in peer_scores(facility, day=day):
        same_type = entry["type"] == facility.type
        scores = entry["scores"]
        if (
            instrument is not None
            and entry.get("version", instrument.version) != instrument.version
        ):
            scores = comparable(
                RoundSummary(instrument_version=entry["version"], determinants=scores), instrument
            ).determinants
        for code, score in scores.items():
            values["all"].setdefault(code, []).append(score)
            if same_type:
                values["type"].setdefault(code, []).append(score)
    return {
        group: {code: summarise(scores) for code, scores in by_code.items()}
        for group, by_code in values.items()
    }


def cache_token(facility: Facility) -> str:
    """Part of a cache key for anything showing this facility's benchmarks: it changes
    with the day (a new snapshot), the facility's type, and who is excluded."""
    excluded = ",".join(str(pk) for pk in sorted(excluded_facilities(facility)))
    digest = hashlib.sha256(excluded.encode()).hexdigest()[:16]
    return f"{timezone.localdate().isoformat()}:{facility.type}:{digest}"
