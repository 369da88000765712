from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from readiness.forms import FacilityForm, RoundForm
from readiness.models import Respondent
from readiness.permissions import (
    facilities_for,
    facility_access,
    networks_for,
    partners_for,
    require,
    round_for,
)
from readiness.services import facilities as facility_services


@login_required
def facility_list(request):
    facilities = facilities_for(request.user).annotate(
        round_count=Count("rounds", distinct=True), last_opened=Max("rounds__opened_on")
    )
    context = {
        "facilities": facilities,
        "partners": partners_for(request.user),
        "networks": networks_for(request.user),
    }
    return render(request, "facilities/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def facility_create(request):
    form = FacilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        facility = facility_services.create_facility(owner=request.user, **form.cleaned_data)
        messages.success(request, _("Facility created. Open a round to start collecting answers."))
        return redirect(facility)
    return render(request, "facilities/create.html", {"form": form})


def _detail_context(access, round_form):
    finished = Q(respondents__status=Respondent.Status.FINISHED)
    rounds = (
        access.rounds()
        .order_by("-opened_on", "-pk")  # newest first
        .select_related("facility")
        .annotate(
            finished_count=Count("respondents", filter=finished),
            in_progress_count=Count("respondents", filter=~finished),
        )
    )
    return {
        "facility": access.facility,
        "access": access,
        "rounds": rounds,
        "round_form": round_form,
        "can_manage": access.can_manage_rounds,
    }


@login_required
def facility_detail(request, slug):
    access = facility_access(request.user, slug)
    context = _detail_context(access, RoundForm(facility=access.facility))
    return render(request, "facilities/detail.html", context)


@login_required
@require_POST
def round_open(request, slug):
    access = facility_access(request.user, slug)
    require(access.can_manage_rounds)
    form = RoundForm(request.POST, facility=access.facility)
    if form.is_valid():
        try:
            round_ = facility_services.open_round(
                facility=access.facility,
                label=form.cleaned_data["label"],
                intervention=form.cleaned_data["intervention"],
                publish_at_close=form.cleaned_data["publish_at_close"],
                alongside_open=form.cleaned_data.get("alongside_open", False),
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Round \u201c%(label)s\u201d is open. Share its link with staff in every role.")
                % {"label": round_.label},
            )
            return redirect(access.facility)
    return render(request, "facilities/detail.html", _detail_context(access, form))


def _round_action(request, slug, round_id, action, message, *, confirm=None):
    """Run a round action; with ``confirm`` (what the action does, for the person to
    read), only after they confirmed it on a page that says so."""
    access = facility_access(request.user, slug)
    round_ = round_for(access, round_id)
    require(access.can_manage_rounds)
    if confirm and request.POST.get("confirm") != "yes":
        return render(
            request,
            "facilities/round_confirm.html",
            {"facility": access.facility, "round": round_, "confirm": confirm},
        )
    action(round_=round_, by=request.user)
    messages.success(request, message)
    return redirect(access.facility)


@login_required
@require_POST
def round_close(request, slug, round_id):
    return _round_action(
        request,
        slug,
        round_id,
        facility_services.close_round,
        _("The round is closed. Its links no longer take answers."),
        confirm={
            "title": _("Close this round?"),
            "text": _(
                "Its link will stop taking answers at once, and people who started will not "
                "be able to finish. You can reopen it later."
            ),
            "button": _("Close the round"),
        },
    )


@login_required
@require_POST
def round_reopen(request, slug, round_id):
    return _round_action(
        request, slug, round_id, facility_services.reopen_round, _("The round is open again.")
    )


@login_required
@require_POST
def round_link_replace(request, slug, round_id):
    return _round_action(
        request,
        slug,
        round_id,
        facility_services.replace_round_link,
        _(
            "The round has a new link; the old one no longer works. People who already "
            "started can still finish with their personal links."
        ),
        confirm={
            "title": _("Replace this round's link?"),
            "text": _(
                "The link you sent will stop working at once: anyone who has not started "
                "yet will need the new link. People who already started can still finish "
                "with their personal links."
            ),
            "button": _("Replace the link"),
        },
    )
