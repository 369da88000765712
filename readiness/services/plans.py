"""Action plans: steps a facility takes to close its gaps."""

from django.db import transaction

from readiness.models import ActionItem, Facility, Round, Strategy
from readiness.services.facilities import results_changed


@transaction.atomic
def add_action_item(
    *, facility: Facility, strategy: Strategy, round_: Round, item: ActionItem
) -> ActionItem:
    """Save a step taken from a recommended strategy (``item`` carries the form's fields),
    targeting the strategy's determinants, measured from ``round_``."""
    item.facility = facility
    item.strategy = strategy
    item.targets = list(strategy.determinants.values_list("code", flat=True))
    item.baseline_round = round_
    item.full_clean()
    item.save()
    results_changed(facility_id=facility.pk)  # dashboards list plan items beside gaps
    return item


@transaction.atomic
def set_status(*, item: ActionItem, status: str) -> ActionItem:
    item.status = status
    return save_action_item(item=item)


@transaction.atomic
def save_action_item(*, item: ActionItem) -> ActionItem:
    item.full_clean()
    item.save()
    results_changed(facility_id=item.facility_id)
    return item
