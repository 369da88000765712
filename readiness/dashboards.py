"""What a round's dashboard shows, assembled for its template, and the key it is kept
under: a selector the dashboard view renders (views/dashboard.py)."""

from django.utils.translation import get_language

from readiness import benchmarks, charts, disclosure
from readiness.models import ActionItem
from readiness.rendered import results_key


def results_key_for(round_, scope: disclosure.Scope, plan: str) -> str:
    """The key of a kept rendering of the round's results: rebuilt when the facility's
    results version changes (a new release, a plan change, a new minimum group), and
    after a deploy or a raised site minimum (readiness/rendered.py)."""
    key = results_key(
        "dashboard",
        round_.pk,
        round_.facility.results_version,
        get_language(),
        f"{int(scope.roles)}{int(scope.strategies)}{int(scope.compare)}{plan}",
    )
    if scope.benchmarks:
        # Peer benchmarks change with the day's snapshot and with who can reach which
        # facility, which no version of this facility's results tracks.
        key += ":" + benchmarks.cache_token(round_.facility)
    return key


def results_context(round_, *, scope: disclosure.Scope, plan: str) -> dict:
    """The scored part of the dashboard, as the template dashboard/_results.html reads it.

    ``plan`` is "" (no plan shown, for partners and leaders), "read" or "edit"."""
    scores = disclosure.released_scores(round_, scope=scope)
    peers = (
        benchmarks.benchmarks_for(round_.facility, instrument=round_.instrument)
        if scope.benchmarks
        else None
    )
    if plan:
        by_code = {}
        for item in ActionItem.objects.filter(facility_id=round_.facility_id):
            for code in item.targets:
                by_code.setdefault(code, []).append(item)
        for determinant in scores.determinants:
            determinant.plan_items = by_code.get(determinant.code, [])
    return {
        "scores": scores,
        "min_group": scores.minimum,
        "show_strategies": scope.strategies,
        "show_roles": scope.roles,
        "plan": plan,
        "round": round_,
        "determinant_chart": charts.determinant_chart(scores),
        "role_heatmap": charts.role_heatmap(scores) if scope.roles else None,
        "trend_chart": charts.trend_chart(scores),
        "benchmark_rows": benchmark_rows(scores, peers) if peers else None,
        "benchmark_chart": charts.benchmark_chart(scores, peers) if peers else None,
        "show_benchmarks": scope.benchmarks,
        "median_from": disclosure.MEDIAN_FROM,
        "quartiles_from": disclosure.QUARTILES_FROM,
    }


def benchmark_rows(scores, peers):
    """(determinant name, own score, same-type benchmark, all-facilities benchmark)."""
    return [
        (d.determinant.name, d.score, peers["type"].get(d.code), peers["all"].get(d.code))
        for d in scores.determinants
    ]
