"""Members and invitations (owners), and accepting an invitation (anyone with the link)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from readiness.disclosure import min_group
from readiness.forms import (
    BenchmarkConsentForm,
    InviteForm,
    MemberLevelForm,
    MinGroupForm,
    NetworkAnswerAccessForm,
    ShareForm,
    SignUpForm,
)
from readiness.models import Invitation, Membership
from readiness.permissions import owner_access
from readiness.services import access as access_services


def _min_group_form(facility, data=None):
    current = min_group(facility)
    return MinGroupForm(data, current=current, initial={"min_group": current})


def _with_level_forms(memberships) -> list[Membership]:
    members = list(memberships)
    for membership in members:
        membership.level_form = MemberLevelForm.for_member(membership)
    return members


def _members_context(access, invite_form=None, share_form=None, min_group_form=None):
    facility = access.facility
    return {
        "min_group_form": min_group_form or _min_group_form(facility),
        "facility": facility,
        "members": _with_level_forms(
            facility.memberships.select_related("user").order_by("created_at")
        ),
        "invitations": facility.invitations.pending(),
        "shares": facility.shares.live()
        .select_related("partner", "created_by")
        .prefetch_related("rounds"),
        "invite_form": invite_form or InviteForm(),
        "share_form": share_form or ShareForm(facility=facility),
        "consent_form": BenchmarkConsentForm(initial={"contributes": facility.contributes}),
        "network_answers_form": NetworkAnswerAccessForm(
            initial={"allowed": facility.network_answer_access}
        ),
    }


@login_required
def members(request, slug):
    access = owner_access(request.user, slug)
    return render(request, "members/list.html", _members_context(access))


@login_required
@require_POST
def invite(request, slug):
    access = owner_access(request.user, slug)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            access_services.invite_member(
                facility=access.facility,
                by=request.user,
                site=request.build_absolute_uri("/"),
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s. The link works once, for 7 days.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("facility-members", slug)
    return render(request, "members/list.html", _members_context(access, invite_form=form))


@login_required
@require_POST
def invitation_revoke(request, slug, invitation_id):
    access = owner_access(request.user, slug)
    invitation = get_object_or_404(Invitation, facility=access.facility, pk=invitation_id)
    access_services.revoke_invitation(invitation=invitation, by=request.user)
    messages.success(request, _("The invitation was withdrawn."))
    return redirect("facility-members", slug)


def _membership(access, membership_id):
    return get_object_or_404(
        Membership.objects.select_related("user", "facility"),
        facility=access.facility,
        pk=membership_id,
    )


@login_required
@require_POST
def member_level(request, slug, membership_id):
    access = owner_access(request.user, slug)
    membership = _membership(access, membership_id)
    form = MemberLevelForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose owner, editor or viewer."))
        access_services.change_member_level(
            membership=membership, level=form.cleaned_data["level"], by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Role changed."))
    return redirect("facility-members", slug)


@login_required
@require_POST
def member_remove(request, slug, membership_id):
    access = owner_access(request.user, slug)
    membership = _membership(access, membership_id)
    try:
        access_services.remove_member(membership=membership, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Member removed. Their access ended at once."))
    if membership.user_id == request.user.pk:
        return redirect("facility-list")
    return redirect("facility-members", slug)


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    invitation = access_services.find_invitation(token)
    if invitation is None:
        raise Http404
    context = {
        "invitation": invitation,
        "valid": invitation.is_pending,
        "for_someone_else": request.user.is_authenticated
        and not access_services.invited_account(invitation, request.user),
    }
    if not invitation.is_pending:
        return render(request, "members/accept.html", context, status=410)
    signup = SignUpForm(
        request.POST if request.method == "POST" and not request.user.is_authenticated else None,
        invited=invitation.email,
    )
    if request.method == "POST":
        user = request.user
        if not user.is_authenticated:
            if not signup.is_valid():
                return render(request, "members/accept.html", context | {"signup": signup})
            user = signup.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        try:
            access_services.accept_invitation(token=token, user=user)
        except access_services.InvitationForSomeoneElse as error:
            return render(
                request, "members/accept.html", context | {"error": str(error)}, status=403
            )
        except access_services.InvitationInvalid as error:
            return render(
                request, "members/accept.html", context | {"error": str(error)}, status=410
            )
        messages.success(
            request, _("Welcome to %(facility)s.") % {"facility": invitation.facility.name}
        )
        return redirect(invitation.facility)
    return render(request, "members/accept.html", context | {"signup": signup})


@login_required
@require_POST
def share_create(request, slug):
    access = owner_access(request.user, slug)
    form = ShareForm(request.POST, facility=access.facility)
    if form.is_valid():
        data = form.cleaned_data
        try:
            access_services.share_with_partner(
                facility=access.facility,
                partner=data["partner"],
                rounds=None if data["all_rounds"] else list(data["rounds"]),
                include_strategies=data["include_strategies"],
                include_roles=data["include_roles"],
                expires_on=data["expires_on"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Offered to %(partner)s. They see the results once one of them accepts.")
                % {"partner": data["partner"].name},
            )
            return redirect("facility-members", slug)
    return render(request, "members/list.html", _members_context(access, share_form=form))


@login_required
@require_POST
def share_revoke(request, slug, share_id):
    access = owner_access(request.user, slug)
    share = get_object_or_404(access.facility.shares.live(), pk=share_id)
    access_services.revoke_share(share=share, by=request.user)
    messages.success(
        request, _("%(partner)s no longer has access.") % {"partner": share.partner.name}
    )
    return redirect("facility-members", slug)


@login_required
@require_POST
def benchmark_consent(request, slug):
    access = owner_access(request.user, slug)
    form = BenchmarkConsentForm(request.POST)
    form.is_valid()  # a checkbox: absent is "no", never an error
    access_services.set_benchmark_consent(
        facility=access.facility, contributes=form.cleaned_data["contributes"], by=request.user
    )
    messages.success(request, _("Your choice about peer comparisons is saved."))
    return redirect("facility-members", slug)


@login_required
@require_POST
def min_group_change(request, slug):
    access = owner_access(request.user, slug)
    form = _min_group_form(access.facility, request.POST)
    if form.is_valid():
        access_services.set_min_group(
            facility=access.facility, min_group=form.cleaned_data["min_group"], by=request.user
        )
        messages.success(request, _("The smallest group shown is saved."))
        return redirect("facility-members", slug)
    return render(
        request, "members/list.html", _members_context(access, min_group_form=form), status=400
    )
