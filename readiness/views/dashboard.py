from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Count
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language

from readiness import charts
from readiness.benchmarks import MIN_PEERS, peer_benchmarks
from readiness.models import ActionItem, Respondent
from readiness.permissions import facility_access, round_for
from readiness.scoring import MIN_GROUP, score_round

# Results are rebuilt when the facility's results_version changes; the day is a bound
# for anything else a deployment might change (a new template, a new translation).
RESULTS_TIMEOUT = 24 * 60 * 60
# Peer benchmarks change with other facilities' results, which no version of this
# facility's tracks: cached results that include them expire after this long.
BENCHMARK_PERIOD = 15 * 60


def results_html(
    round_, *, show_strategies: bool, show_roles: bool, compare: bool, plan: str
) -> str:
    """The scored part of the dashboard, computed once per version of the results.

    Keyed by the facility's results_version, which every change of answers bumps, so a
    dashboard read neither re-aggregates answers nor re-renders unchanged results. The
    key includes the facility's version, not the round's, because a round's page also
    shows the change since the previous round; and what the reader may see, because a
    partner's share may leave out strategies, results by role, or the rounds to compare.
    ``plan`` is "" (no plan shown, for partners), "read" or "edit". No form is rendered
    in here: a cached CSRF token would be one user's.
    """
    key = (
        f"dashboard:{round_.pk}:{round_.facility.results_version}:{get_language()}"
        f":{int(show_strategies)}{int(show_roles)}{int(compare)}{plan}"
    )
    html = cache.get(key)
    if html is None:
        scores = score_round(round_, compare_with_previous=compare)
        benchmarks = peer_benchmarks(round_.facility) if plan else None  # members only
        if plan:
            by_code = {}
            for item in ActionItem.objects.filter(facility_id=round_.facility_id):
                for code in item.targets:
                    by_code.setdefault(code, []).append(item)
            for determinant in scores.determinants:
                determinant.plan_items = by_code.get(determinant.code, [])
        html = render_to_string(
            "dashboard/_results.html",
            {
                "scores": scores,
                "min_group": MIN_GROUP,
                "show_strategies": show_strategies,
                "show_roles": show_roles,
                "plan": plan,
                "min_peers": MIN_PEERS,
                "round": round_,
                "determinant_chart": charts.determinant_chart(scores),
                "role_heatmap": charts.role_heatmap(scores) if show_roles else None,
                "trend_chart": charts.trend_chart(scores),
                "benchmark_rows": benchmark_rows(scores, benchmarks) if benchmarks else None,
                "benchmark_chart": charts.benchmark_chart(scores, benchmarks)
                if benchmarks
                else None,
            },
        )
        # With peer benchmarks (members' view) the entry lives BENCHMARK_PERIOD at most.
        cache.set(key, html, BENCHMARK_PERIOD if plan else RESULTS_TIMEOUT)
    return html


def benchmark_rows(scores, benchmarks):
    """(determinant name, own score, same-type benchmark, all-facilities benchmark)."""
    return [
        (d.determinant.name, d.score, benchmarks["type"].get(d.code), benchmarks["all"].get(d.code))
        for d in scores.determinants
    ]


@login_required
def round_dashboard(request, slug, round_id):
    access = facility_access(request.user, slug)
    round_ = round_for(access, round_id)
    # Live, cheap and not part of the cached results: people still answering change
    # without changing any result.
    counts = dict(
        Respondent.objects.filter(round=round_)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    context = {
        "facility": access.facility,
        "access": access,
        "round": round_,
        "finished": counts.get(Respondent.Status.FINISHED, 0),
        "in_progress": counts.get(Respondent.Status.IN_PROGRESS, 0),
        "results": results_html(
            round_,
            show_strategies=access.can_see_strategies,
            show_roles=access.can_see_roles,
            # A partner shown chosen rounds must not see changes against another round.
            compare=access.is_member or access.share.all_rounds,
            plan=("edit" if access.can_manage_rounds else "read") if access.is_member else "",
        ),
    }
    return render(request, "dashboard/round.html", context)
