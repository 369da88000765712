from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from readiness.forms import FacilityForm, RoundForm
from readiness.models import Respondent
from readiness.permissions import (
    can_manage,
    facilities_for,
    get_facility_for_user,
    get_round_for_user,
)
from readiness.services import facilities as facility_services


@login_required
def facility_list(request):
    facilities = facilities_for(request.user).annotate(
        round_count=Count("rounds", distinct=True), last_opened=Max("rounds__opened_on")
    )
    return render(request, "facilities/list.html", {"facilities": facilities})


@login_required
@require_http_methods(["GET", "POST"])
def facility_create(request):
    form = FacilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        facility = facility_services.create_facility(owner=request.user, **form.cleaned_data)
        messages.success(request, _("Facility created. Open a round to start collecting answers."))
        return redirect(facility)
    return render(request, "facilities/create.html", {"form": form})


def _detail_context(request, facility, round_form):
    finished = Q(respondents__status=Respondent.Status.FINISHED)
    rounds = facility.rounds.annotate(
        finished_count=Count("respondents", filter=finished),
        in_progress_count=Count("respondents", filter=~finished),
    )
    return {
        "facility": facility,
        "rounds": rounds,
        "round_form": round_form,
        "can_manage": can_manage(request.user, facility),
    }


@login_required
def facility_detail(request, slug):
    facility = get_facility_for_user(request.user, slug)
    context = _detail_context(request, facility, RoundForm(facility=facility))
    return render(request, "facilities/detail.html", context)


def _require_manager(request, facility):
    if not can_manage(request.user, facility):
        raise PermissionDenied


@login_required
@require_POST
def round_open(request, slug):
    facility = get_facility_for_user(request.user, slug)
    _require_manager(request, facility)
    form = RoundForm(request.POST, facility=facility)
    if form.is_valid():
        try:
            round_ = facility_services.open_round(
                facility=facility, label=form.cleaned_data["label"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Round \u201c%(label)s\u201d is open. Share its link with staff in every role.")
                % {"label": round_.label},
            )
            return redirect(facility)
    return render(request, "facilities/detail.html", _detail_context(request, facility, form))


@login_required
@require_POST
def round_close(request, slug, round_id):
    round_ = get_round_for_user(request.user, slug, round_id)
    _require_manager(request, round_.facility)
    facility_services.close_round(round_=round_)
    messages.success(request, _("The round is closed. Its link no longer takes answers."))
    return redirect(round_.facility)


@login_required
@require_POST
def round_reopen(request, slug, round_id):
    round_ = get_round_for_user(request.user, slug, round_id)
    _require_manager(request, round_.facility)
    facility_services.reopen_round(round_=round_)
    messages.success(request, _("The round is open again."))
    return redirect(round_.facility)
