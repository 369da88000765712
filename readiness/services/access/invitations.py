"""Invitations: a single-use link e-mailed to someone, which makes them a member of the
facility when the account it was sent to accepts it."""

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from readiness.models import AuditEvent, Facility, Invitation, Membership, hash_token, new_token
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
