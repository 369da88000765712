"""The facility's intervention inventory: where it stands with each intervention."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from readiness.forms import InventoryForm
from readiness.models import Intervention
from readiness.permissions import facility_access, require
from readiness.services.interventions import record_inventory


@login_required
@require_http_methods(["GET", "POST"])
def inventory(request, slug):
    access = facility_access(request.user, slug)
    require(access.is_member)  # the facility's own record, not shared with partners
    facility = access.facility
    interventions = list(Intervention.objects.all())
    if request.method == "POST":
        require(access.can_manage_rounds)
        form = InventoryForm(request.POST, interventions=interventions)
        if form.is_valid():
            record_inventory(facility=facility, statuses=form.statuses())
            messages.success(request, _("Inventory saved."))
            return redirect("facility-interventions", slug)
    else:
        initial = {}
        for entry in facility.interventions.all():
            initial[f"status-{entry.intervention_id}"] = entry.status
            initial[f"since-{entry.intervention_id}"] = entry.since
        form = InventoryForm(
            initial=initial,
            interventions=interventions,
            read_only=not access.can_manage_rounds,
        )
    context = {"facility": facility, "access": access, "form": form}
    return render(request, "interventions/inventory.html", context)
