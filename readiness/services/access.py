"""Writes that change who may see a facility: members, invitations, partner shares."""

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from readiness.models import (
    AuditEvent,
    Facility,
    Invitation,
    Membership,
    Partner,
    Round,
    Share,
    hash_token,
    new_token,
)
from readiness.services.audit import record

INVITATION_VALID_FOR = timedelta(days=7)


@dataclass(frozen=True)
class Invited:
    invitation: Invitation
    token: str


@transaction.atomic
def invite_member(*, facility: Facility, email: str, level: str, by, site: str = "") -> Invited:
    """Create a single-use invitation and e-mail its link; earlier pending invitations to
    the same address for this facility are replaced. The link starts with the site's
    address: SITE_ROOT (required in production), else ``site``, the address the request
    came to (a developer's server, on whatever port it runs)."""
    email = email.strip().lower()
    if Membership.objects.filter(facility=facility, user__email__iexact=email).exists():
        raise ValidationError(_("Someone with this e-mail address is already a member."))
    now = timezone.now()
    Invitation.objects.filter(
        facility=facility, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = new_token()
    invitation = Invitation.objects.create(
        facility=facility,
        email=email,
        level=level,
        token_hash=hash_token(token),
        invited_by=by,
        expires_at=now + INVITATION_VALID_FOR,
    )
    root = settings.SITE_ROOT or site or "http://127.0.0.1:8000"
    link = root.rstrip("/") + reverse("invitation-accept", args=[token])
    # Sent once the invitation is stored: a failure after sending would leave a link that
    # leads nowhere, and a mail server that hangs would hold the transaction open.
    mail = partial(
        send_mail,
        subject=_("You are invited to %(facility)s on Readiness") % {"facility": facility.name},
        message=_(
            "%(who)s invited you to join %(facility)s on Readiness as %(level)s.\n\n"
            "Open this link within 7 days to accept. It works once.\n\n%(link)s\n"
        )
        % {
            "who": by.get_username(),
            "facility": facility.name,
            "level": invitation.get_level_display().lower(),
            "link": link,
        },
        from_email=None,
        recipient_list=[email],
    )
    transaction.on_commit(mail)
    record(
        action=AuditEvent.Action.MEMBER_INVITED,
        user=by,
        facility=facility,
        email=email,
        level=level,
    )
    return Invited(invitation=invitation, token=token)


def find_invitation(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("facility")
        .filter(token_hash=hash_token(token), facility__deleted_at__isnull=True)
        .first()
    )


class InvitationInvalid(Exception):
    pass


class InvitationForSomeoneElse(InvitationInvalid):
    """The signed-in account's e-mail address is not the one the invitation was sent to."""


def invited_account(invitation: Invitation, user) -> bool:
    """Whether this account may accept the invitation: its e-mail address is the one the
    invitation was sent to (compared without regard to case). Anyone holding a
    forwarded or copied link cannot join with another account."""
    return bool(user.email) and user.email.strip().casefold() == invitation.email.strip().casefold()


@transaction.atomic
def accept_invitation(*, token: str, user) -> Membership:
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("facility")
        .filter(token_hash=hash_token(token), facility__deleted_at__isnull=True)
        .first()
    )
    if invitation is None or not invitation.is_pending:
        raise InvitationInvalid(
            _(
                "This invitation link has expired, was already used, or was withdrawn. "
                "Ask the facility's owner for a new one."
            )
        )
    if not invited_account(invitation, user):
        raise InvitationForSomeoneElse(
            _(
                "This invitation was sent to %(email)s. Sign in with the account that has "
                "that e-mail address, or create one with it."
            )
            % {"email": invitation.email}
        )
    membership, created = Membership.objects.get_or_create(
        user=user, facility=invitation.facility, defaults={"level": invitation.level}
    )
    Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now(), accepted_by=user)
    if created:
        record(
            action=AuditEvent.Action.MEMBER_JOINED,
            user=user,
            facility=invitation.facility,
            level=invitation.level,
        )
    return membership


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, by) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    record(
        action=AuditEvent.Action.INVITATION_REVOKED,
        user=by,
        facility=invitation.facility,
        email=invitation.email,
    )


def _other_owners(membership: Membership):
    return Membership.objects.filter(
        facility_id=membership.facility_id, level=Membership.Level.OWNER
    ).exclude(pk=membership.pk)


def _locked(membership: Membership, by) -> Membership:
    """The membership as it is now, with its facility's row locked until the transaction
    ends: two owners demoting or removing each other at the same moment take turns, and
    the second sees what the first did (so a facility always keeps an owner). The
    person acting must still be an owner when their turn comes."""
    Facility.objects.select_for_update().filter(pk=membership.facility_id).first()
    current = Membership.objects.filter(pk=membership.pk).select_related("user", "facility").first()
    if current is None:
        raise ValidationError(_("This person is no longer a member."))
    if (
        by is not None
        and not Membership.objects.filter(
            facility_id=membership.facility_id, user=by, level=Membership.Level.OWNER
        ).exists()
    ):
        raise PermissionDenied
    return current


@transaction.atomic
def change_member_level(*, membership: Membership, level: str, by) -> None:
    membership = _locked(membership, by)
    if membership.level == Membership.Level.OWNER and level != Membership.Level.OWNER:
        if not _other_owners(membership).exists():
            raise ValidationError(_("A facility needs at least one owner."))
    old = membership.level
    Membership.objects.filter(pk=membership.pk).update(level=level)
    record(
        action=AuditEvent.Action.MEMBER_CHANGED,
        user=by,
        facility=membership.facility,
        member=membership.user.get_username(),
        old=old,
        new=level,
    )


@transaction.atomic
def remove_member(*, membership: Membership, by) -> None:
    membership = _locked(membership, by)
    if membership.level == Membership.Level.OWNER and not _other_owners(membership).exists():
        raise ValidationError(_("A facility needs at least one owner."))
    membership.delete()
    record(
        action=AuditEvent.Action.MEMBER_REMOVED,
        user=by,
        facility=membership.facility,
        member=membership.user.get_username(),
    )


@transaction.atomic
def share_with_partner(
    *,
    facility: Facility,
    partner: Partner,
    rounds: list[Round] | None,
    include_strategies: bool,
    include_roles: bool,
    expires_on=None,
    by,
) -> Share:
    """Offer results read-only to a partner; an existing live share with it is replaced.

    The partner sees nothing until one of its members accepts (``accept_share``). A
    partner that already accepted this facility's results gets the new terms at once:
    what changes is what the facility gives, not whom it gives it to.

    ``rounds`` None shares every round, present and future.
    """
    if rounds is not None:
        if not rounds:
            raise ValidationError(_("Choose at least one round, or share all rounds."))
        if any(r.facility_id != facility.pk for r in rounds):
            raise ValidationError(_("Only this facility's rounds can be shared."))
    if expires_on is not None and expires_on < timezone.localdate():
        raise ValidationError(_("The end date is in the past."))
    now = timezone.now()
    replaced = (
        Share.objects.active()
        .filter(facility=facility, partner=partner)
        .values("accepted_at", "accepted_by")
        .first()
    ) or {"accepted_at": None, "accepted_by": None}
    Share.objects.filter(facility=facility, partner=partner, revoked_at__isnull=True).update(
        revoked_at=now
    )
    share = Share.objects.create(
        facility=facility,
        partner=partner,
        all_rounds=rounds is None,
        include_strategies=include_strategies,
        include_roles=include_roles,
        expires_on=expires_on,
        created_by=by,
        accepted_at=replaced["accepted_at"],
        accepted_by_id=replaced["accepted_by"],
    )
    if rounds is not None:
        share.rounds.set(rounds)
    record(
        action=AuditEvent.Action.SHARE_GRANTED,
        user=by,
        facility=facility,
        partner=partner.name,
        rounds="all" if rounds is None else [r.label for r in rounds],
        include_strategies=include_strategies,
        include_roles=include_roles,
        expires_on=expires_on.isoformat() if expires_on else None,
    )
    return share


@transaction.atomic
def revoke_share(*, share: Share, by) -> None:
    """Takes effect on the partner's next request: access is checked on every one."""
    Share.objects.filter(pk=share.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    record(
        action=AuditEvent.Action.SHARE_REVOKED,
        user=by,
        facility=share.facility,
        partner=share.partner.name,
    )


@transaction.atomic
def set_network_answer_access(*, facility: Facility, allowed: bool, by) -> bool:
    """Whether the leaders of the facility's network may download its answers, one row per
    respondent (rule 4 of readiness.disclosure). Downloads read it on every request, so a revoke
    takes effect on the next one, and the network's files already prepared with the
    facility's answers are deleted. Returns whether anything changed; only a change is
    recorded in the audit log."""
    current = (
        # (PostgreSQL locks no row of the nullable side of a join: the facility only)
        Facility.objects.select_for_update(of=("self",))
        .select_related("network")
        .only("network_answer_access", "network__name")
        .get(pk=facility.pk)
    )
    if allowed and current.network is None:
        raise ValidationError(_("This facility does not belong to a network."))
    if current.network_answer_access == allowed:
        return False
    Facility.objects.filter(pk=facility.pk).update(network_answer_access=allowed)
    facility.network_answer_access = allowed
    from readiness.services.facilities import results_changed

    results_changed(facility_id=facility.pk)  # the network page lists the sites allowing it
    if not allowed and current.network is not None:
        from readiness.services.downloads import withdraw_for

        withdraw_for(facility_id=facility.pk, network_id=current.network.pk)
    record(
        action=AuditEvent.Action.NETWORK_ANSWERS_GRANTED
        if allowed
        else AuditEvent.Action.NETWORK_ANSWERS_REVOKED,
        user=by,
        facility=facility,
        network=current.network.name if current.network else "",
    )
    return True


@transaction.atomic
def set_benchmark_consent(*, facility: Facility, contributes: bool, by) -> None:
    """Whether the facility's latest closed round counts in other facilities' comparisons."""
    Facility.objects.filter(pk=facility.pk).update(contributes_to_benchmarks=contributes)
    record(
        action=AuditEvent.Action.BENCHMARKS_JOINED
        if contributes
        else AuditEvent.Action.BENCHMARKS_LEFT,
        user=by,
        facility=facility,
    )


@transaction.atomic
def set_min_group(*, facility: Facility, min_group: int, by) -> None:
    """Raise the smallest group shown; it never goes down, since two views of the same
    results under two minimums could hide different cells.

    Published results keep their people; what may be shown of them follows at once
    (readiness.disclosure decides on every read).
    """
    from readiness.disclosure import min_group as current_min_group
    from readiness.services.facilities import results_changed

    old = current_min_group(facility)
    if min_group < old:
        raise ValidationError(
            _("The smallest group can be raised, not lowered (now %(n)s).") % {"n": old}
        )
    # Kept even when it equals the site's setting, so that the owners' choice holds if
    # the site's setting is lowered later (min_group() takes the larger of the two).
    Facility.objects.filter(pk=facility.pk).update(min_group=min_group)
    results_changed(facility_id=facility.pk)
    if min_group > old:
        from readiness.services.downloads import withdraw_changed

        withdraw_changed(facility.pk)
    record(
        action=AuditEvent.Action.MIN_GROUP_CHANGED,
        user=by,
        facility=facility,
        old=old,
        new=min_group,
    )


def partner_by_code(code: str) -> Partner | None:
    """The partner that gave out this code, typed in any case, with or without dashes."""
    code = code.replace("-", "").replace(" ", "").strip().lower()
    return Partner.objects.filter(share_code=code).first() if code else None


def _partner_member(share: Share, user) -> None:
    if not share.partner.memberships.filter(user=user).exists():
        raise PermissionDenied


@transaction.atomic
def accept_share(*, share: Share, by) -> None:
    """A member of the partner accepts the facility's offer: from now on the partner
    sees what it shares."""
    _partner_member(share, by)
    updated = (
        Share.objects.offered()
        .filter(pk=share.pk)
        .update(accepted_at=timezone.now(), accepted_by=by)
    )
    if updated:
        record(
            action=AuditEvent.Action.SHARE_ACCEPTED,
            user=by,
            facility=share.facility,
            partner=share.partner.name,
        )


@transaction.atomic
def decline_share(*, share: Share, by) -> None:
    _partner_member(share, by)
    updated = Share.objects.offered().filter(pk=share.pk).update(revoked_at=timezone.now())
    if updated:
        record(
            action=AuditEvent.Action.SHARE_DECLINED,
            user=by,
            facility=share.facility,
            partner=share.partner.name,
        )
