"""Peer benchmarks that never expose a peer.

For each determinant, the middle 50% (first to third quartile) and the median of other
facilities' scores, from each one's latest closed round, among facilities that agreed to
contribute. A benchmark is shown only when at least MIN_PEERS other facilities have a
score, and only as whole numbers, so that one facility joining or leaving a group cannot
be read off the change. Peers are never named.
"""

from dataclasses import dataclass
from statistics import median, quantiles

from django.db.models import Avg, OuterRef, Q, Subquery

from readiness.models import DeterminantScore, Facility, Respondent, Round

MIN_PEERS = 5


@dataclass(frozen=True)
class Benchmark:
    low: int  # first quartile
    median: int
    high: int  # third quartile
    peers: int


def summarise(values: list[float]) -> Benchmark | None:
    """Quartiles (inclusive method) rounded to whole numbers; None below MIN_PEERS."""
    if len(values) < MIN_PEERS:
        return None
    q1, _, q3 = quantiles(values, n=4, method="inclusive")
    return Benchmark(low=round(q1), median=round(median(values)), high=round(q3), peers=len(values))


def peer_benchmarks(facility: Facility) -> dict[str, dict[str, Benchmark | None]]:
    """{"type": {code: Benchmark or None}, "all": {...}} from one grouped query: each
    contributing peer's latest closed round, found by a subquery inside it."""
    latest_closed = (
        Round.objects.filter(facility=OuterRef("pk"), status=Round.Status.CLOSED)
        .order_by("-opened_on", "-pk")
        .values("pk")[:1]
    )
    contributing = Q(contributes_to_benchmarks=True) | Q(
        contributes_to_benchmarks__isnull=True, network__isnull=False
    )
    peer_rounds = (
        Facility.objects.filter(contributing)
        .exclude(pk=facility.pk)
        .annotate(latest=Subquery(latest_closed))
        .exclude(latest=None)
        .values("latest")
    )
    rows = (
        DeterminantScore.objects.filter(
            respondent__round__in=peer_rounds, respondent__status=Respondent.Status.FINISHED
        )
        .values("respondent__round_id", "respondent__round__facility__type", "determinant__code")
        .annotate(mean_score=Avg("score"))
        .order_by()
    )
    values: dict[str, dict[str, list[float]]] = {"type": {}, "all": {}}
    for row in rows:
        if row["mean_score"] is None:
            continue
        code = row["determinant__code"]
        values["all"].setdefault(code, []).append(row["mean_score"])
        if row["respondent__round__facility__type"] == facility.type:
            values["type"].setdefault(code, []).append(row["mean_score"])
    return {
        group: {code: summarise(scores) for code, scores in by_code.items()}
        for group, by_code in values.items()
    }
