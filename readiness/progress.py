"""Did the needle move? A facility's action plan with, for each step, the scores of the
determinants it targets in its baseline round and in the latest closed round after it
(views/plans.py shows them)."""

from dataclasses import dataclass

from readiness.disclosure import released_summaries
from readiness.models import ActionItem, Determinant, Facility, Round


@dataclass
class Movement:
    name: str
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True)
class PlanRow:
    item: ActionItem
    after_round: Round | None  # the latest closed round after the baseline, with results
    movements: list[Movement]


def plan_progress(facility: Facility) -> list[PlanRow]:
    """Each action item of the facility with its targets' movement: four queries
    whatever the plan (items, closed rounds, their published results, names)."""
    items = list(facility.action_items.select_related("owner_member", "baseline_round", "strategy"))
    # Did the needle move? Each item's targets, from its baseline round to the latest
    # closed round after it: rounds and their results in two queries whatever the plan.
    closed = list(
        Round.objects.filter(facility=facility, status=Round.Status.CLOSED).order_by(
            "opened_on", "pk"
        )
    )
    baselines = {item.baseline_round_id for item in items if item.baseline_round_id}
    summaries = released_summaries(list(baselines | {r.pk for r in closed})) if items else {}
    names = dict(
        Determinant.objects.filter(domain__instrument__rounds__facility=facility)
        .values_list("code", "name")
        .distinct()
    )
    rows = []
    for item in items:
        baseline = item.baseline_round
        later = [
            r
            for r in closed
            if baseline is not None
            and r.pk in summaries
            and (r.opened_on, r.pk) > (baseline.opened_on, baseline.pk)
        ]
        after_round = later[-1] if later else None
        before = summaries.get(item.baseline_round_id)
        after = summaries.get(after_round.pk) if after_round else None
        movements = [
            Movement(
                name=names.get(code, code),
                before=before.determinants.get(code) if before else None,
                after=after.determinants.get(code) if after else None,
            )
            for code in item.targets
        ]
        rows.append(PlanRow(item=item, after_round=after_round, movements=movements))
    return rows
