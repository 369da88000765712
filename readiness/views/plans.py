"""The facility's action plan: steps from recommended strategies, their owners, due dates
and status, and whether the determinants they target moved in later rounds."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from readiness import progress
from readiness.forms import ActionItemForm, ActionItemStatusForm
from readiness.models import ActionItem, Strategy
from readiness.permissions import facility_access, require, round_for
from readiness.services import plans


def _member_access(request, slug):
    access = facility_access(request.user, slug)
    require(access.is_member)  # plans are the facility's own, never shared with partners
    return access


@login_required
def plan(request, slug):
    access = _member_access(request, slug)
    facility = access.facility
    rows = progress.plan_progress(facility)
    if access.can_manage_rounds:
        for row in rows:
            row.item.status_form = ActionItemStatusForm.for_item(row.item)
    context = {
        "facility": facility,
        "access": access,
        "rows": rows,
        "overdue": sum(1 for row in rows if row.item.is_overdue),
    }
    return render(request, "plans/plan.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def add(request, slug, round_id):
    access = _member_access(request, slug)
    round_ = round_for(access, round_id)  # 404 before 403, as on every page
    require(access.can_manage_rounds)
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
    item = _item(access, item_id)
    require(access.can_manage_rounds)
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
    item = _item(access, item_id)
    require(access.can_manage_rounds)
    form = ActionItemStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["status"][0])
    else:
        plans.set_status(item=item, status=form.cleaned_data["status"])
        messages.success(
            request,
            _("Status changed to %(status)s.") % {"status": item.get_status_display().lower()},
        )
    return redirect(reverse("facility-plan", args=[slug]) + f"#item-{item.pk}")
