from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from readiness import hand_out
from readiness.disclosure import min_group
from readiness.forms import SLUG_UNAVAILABLE, AnswerDownloadForm, FacilityForm, RoundForm
from readiness.models import (
    RESTORE_WITHIN_DAYS,
    FacilityType,
    Network,
    Partner,
    Respondent,
    Round,
    USState,
    new_short_code,
)
from readiness.paging import page_of
from readiness.permissions import (
    facilities_for,
    facility_access,
    organisations_of,
    require,
    round_for,
)
from readiness.qr import qr_svg
from readiness.services import facilities as facility_services


@login_required
def facility_list(request):
    page = page_of(facilities_for(request.user).order_by("name", "pk"), request.GET.get("page"))
    # Rounds counted for the page's facilities only: a person in a thousand facilities
    # costs what one in fifty does.
    rounds = {
        row["facility"]: row
        for row in Round.objects.filter(facility__in=[f.pk for f in page])
        .values("facility")
        .annotate(count=Count("pk"), last_opened=Max("opened_on"))
        .order_by()
    }
    # Labels looked up once: get_FOO_display() rebuilds its table of choices on every call
    # (56 states), which was most of this page's time for 50 rows.
    types, states = dict(FacilityType.choices), dict(USState.choices)
    for facility in page:
        facility.type_label, facility.state_label = types[facility.type], states[facility.state]
        counted = rounds.get(facility.pk, {})
        facility.round_count = counted.get("count", 0)
        facility.last_opened = counted.get("last_opened")
    context = {
        "facilities": page,
        "query": request.GET,  # for the links between pages
        "partners": organisations_of(request.user, Partner),
        "networks": organisations_of(request.user, Network),
        "restorable": facility_services.restorable_for(request.user),
        "restore_within_days": RESTORE_WITHIN_DAYS,
    }
    return render(request, "facilities/list.html", context)


@login_required
@require_POST
def facility_restore(request, slug):
    """An owner brings back a facility deleted less than RESTORE_WITHIN_DAYS ago."""
    facility = facility_services.restorable_for(request.user).filter(slug=slug).first()
    if facility is None:
        raise Http404
    facility_services.restore_facility(facility=facility, by=request.user)
    messages.success(request, _("%(name)s is back, as it was.") % {"name": facility.name})
    return redirect(facility)


@login_required
@require_http_methods(["GET", "POST"])
def facility_create(request):
    form = FacilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            facility = facility_services.create_facility(owner=request.user, **form.cleaned_data)
        except ValidationError:  # taken in the meantime: the same words as the form's
            form.add_error("slug", SLUG_UNAVAILABLE)
        else:
            messages.success(
                request, _("Facility created. Open a round to start collecting answers.")
            )
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
        "answer_form": AnswerDownloadForm(),
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


@transaction.atomic
def _replace_links(*, round_, by) -> None:
    """The long link and the short one together: an old flyer's QR code stops working
    exactly like the old long link (404)."""
    facility_services.replace_round_link(round_=round_, by=by)
    round_.short_code = new_short_code()
    round_.save(update_fields=["short_code"])


@login_required
@require_POST
def round_link_replace(request, slug, round_id):
    return _round_action(
        request,
        slug,
        round_id,
        _replace_links,
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


# --- Handing out the link: short link, QR code, message, flyer --------------------------


def _hand_out_context(request, slug, round_id):
    """For members who may manage rounds, as the other round pages: 404 for outsiders,
    403 for viewers and partners."""
    access = facility_access(request.user, slug)
    round_ = round_for(access, round_id)
    require(access.can_manage_rounds)
    short_path = round_.short_link()
    short_url = request.build_absolute_uri(short_path)
    return {
        "facility": access.facility,
        "round": round_,
        "short_url": short_url,
        "short_site": short_url.removesuffix(short_path),
        "short_path": short_path,
        "min_group": min_group(access.facility),
        "minutes": hand_out.MINUTES_TO_ANSWER,
        "hand_outs": hand_out.hand_outs(round_, short_url) if round_.is_open else [],
    }


@login_required
@require_GET
def round_hand_out(request, slug, round_id):
    """The short link, its QR code, a message to paste, and the way to the flyer. A
    closed round's link takes no answers, so its page only says so."""
    context = _hand_out_context(request, slug, round_id)
    if context["round"].is_open:
        context["qr"] = qr_svg(
            context["short_url"], label=hand_out.qr_label(context["short_url"]), size=200
        )
    return render(request, "facilities/round_hand_out.html", context)


@login_required
@require_GET
def round_flyer(request, slug, round_id):
    """One printed page for break rooms: the QR code large, the short link in large type,
    in the language asked for (``?language=es``; the page around it stays in the
    reader's), whose QR code opens the questionnaire in that language."""
    context = _hand_out_context(request, slug, round_id)
    chosen = {h.language.code: h for h in context["hand_outs"]}
    context["flyer"] = chosen.get(request.GET.get("language"), next(iter(chosen.values()), None))
    if context["flyer"] is not None:
        link = context["flyer"].link
        with translation.override(context["flyer"].language.code):
            context["qr"] = qr_svg(link, label=hand_out.qr_label(link))
    return render(request, "facilities/round_flyer.html", context)
