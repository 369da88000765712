"""The facility's action plan: steps from recommended strategies, their owners, due dates
and status, and whether the determinants they target moved in later rounds."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from readiness.disclosure import released_summaries
from readiness.forms import ActionItemForm
from readiness.models import ActionItem, Determinant, Round, Strategy
from readiness.permissions import facility_access, require, round_for
from readiness.services import plans


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


def _member_access(request, slug):
    access = facility_access(request.user, slug)
    require(access.is_member)  # plans are the facility's own, never shared with partners
    return access


@login_required
def plan(request, slug):
    access = _member_access(request, slug)
    facility = access.facility
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
        rows.append({"item": item, "after_round": after_round, "movements": movements})
    context = {
        "facility": facility,
        "access": access,
        "rows": rows,
        "statuses": ActionItem.Status.choices,
        "overdue": sum(1 for item in items if item.is_overdue),
    }
    return render(request, "plans/plan.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def add(request, slug, round_id):
    access = _member_access(request, slug)
    require(access.can_manage_rounds)
    round_ = round_for(access, round_id)
    source = request.POST if request.method == "POST" else request.GET
    strategy_id = source.get("strategy", "")
    if not strategy_id.isdigit():
        raise Http404
    strategy = get_object_or_404(Strategy, instrument_id=round_.instrument_id, pk=strategy_id)
    form = ActionItemForm(
        request.POST or None, facility=access.facility, initial={"title": strategy.name}
    )
    if request.method == "POST" and form.is_valid():
        plans.add_action_item(
            facility=access.facility, strategy=strategy, round_=round_, item=form.instance
        )
        messages.success(request, _("Added to the plan."))
        return redirect("facility-plan", slug)
    context = {"facility": access.facility, "round": round_, "strategy": strategy, "form": form}
    return render(request, "plans/add.html", context)


def _item(access, item_id) -> ActionItem:
    return get_object_or_404(ActionItem, facility=access.facility, pk=item_id)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, slug, item_id):
    access = _member_access(request, slug)
    require(access.can_manage_rounds)
    item = _item(access, item_id)
    form = ActionItemForm(request.POST or None, instance=item, facility=access.facility)
    if request.method == "POST" and form.is_valid():
        plans.save_action_item(item=form.instance)
        messages.success(request, _("Saved."))
        return redirect("facility-plan", slug)
    return render(
        request, "plans/edit.html", {"facility": access.facility, "item": item, "form": form}
    )


@login_required
@require_POST
def set_status(request, slug, item_id):
    access = _member_access(request, slug)
    require(access.can_manage_rounds)
    item = _item(access, item_id)
    status = request.POST.get("status")
    if status not in ActionItem.Status.values:
        messages.error(request, _("Choose one of the statuses shown."))
    else:
        item.status = status
        plans.save_action_item(item=item)
        messages.success(
            request,
            _("Status changed to %(status)s.") % {"status": item.get_status_display().lower()},
        )
    return redirect(reverse("facility-plan", args=[slug]) + f"#item-{item.pk}")
