"""Partner shares: a facility offers its results to an advocacy partner, a member of the
partner accepts or declines, and the facility can revoke the share at any time."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from readiness.models import AuditEvent, Facility, Partner, Round, Share
from readiness.services.audit import record


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
