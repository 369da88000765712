"""What only a facility's owners do: read the audit log, download the answers, decide
whether their network may download them too, delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from readiness.forms import ConfirmDeleteForm, NetworkAnswerAccessForm
from readiness.models import RESTORE_WITHIN_DAYS, AuditEvent
from readiness.permissions import owner_access, round_for
from readiness.services import access as access_services
from readiness.services import facilities as facility_services

AUDIT_PAGE = 200


@login_required
def audit_log(request, slug):
    access = owner_access(request.user, slug)
    # The facility's events, and the sign-ins and two-step sign-in changes of its current
    # members.
    events = AuditEvent.objects.filter(
        Q(facility=access.facility)
        | Q(
            action__in=AuditEvent.ACCOUNT_EVENTS,
            facility=None,
            user__memberships__facility=access.facility,
        )
    ).distinct()[:AUDIT_PAGE]
    return render(request, "owner/audit.html", {"facility": access.facility, "events": events})


@login_required
@require_POST
def network_answer_access(request, slug):
    """Grant or revoke the network's answer-level downloads (members/list.html)."""
    access = owner_access(request.user, slug)
    facility = access.facility
    form = NetworkAnswerAccessForm(request.POST)
    allowed = form.is_valid() and form.cleaned_data["allowed"]
    try:
        access_services.set_network_answer_access(
            facility=facility, allowed=allowed, by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Your network's leaders can now download your answers, one row per person.")
            if allowed
            else _("Your network's leaders can no longer download your answers."),
        )
    return redirect("facility-members", slug)


@login_required
@require_http_methods(["GET", "POST"])
def facility_delete(request, slug):
    access = owner_access(request.user, slug)
    facility = access.facility
    form = ConfirmDeleteForm(request.POST or None, expected=facility.name)
    if request.method == "POST" and form.is_valid():
        facility_services.delete_facility(facility=facility, by=request.user)
        messages.success(
            request,
            _(
                "%(name)s was deleted: nobody sees it any more. Its owners can restore it "
                "from their list of facilities for %(days)s days; then it is removed for good."
            )
            % {"name": facility.name, "days": RESTORE_WITHIN_DAYS},
        )
        return redirect("facility-list")
    return render(
        request,
        "owner/delete.html",
        {
            "facility": facility,
            "form": form,
            "thing": facility.name,
            "round": None,
            "restore_within_days": RESTORE_WITHIN_DAYS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def round_delete(request, slug, round_id):
    access = owner_access(request.user, slug)
    round_ = round_for(access, round_id)
    form = ConfirmDeleteForm(request.POST or None, expected=round_.label)
    if request.method == "POST" and form.is_valid():
        facility_services.delete_round(round_=round_, by=request.user)
        messages.success(
            request,
            _("The round %(label)s and its answers were deleted.") % {"label": round_.label},
        )
        return redirect(access.facility)
    return render(
        request,
        "owner/delete.html",
        {"facility": access.facility, "form": form, "thing": round_.label, "round": round_},
    )
