"""Changing a member's level and removing a member, so that a facility always keeps an
owner."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from readiness.models import AuditEvent, Facility, Membership
from readiness.services.audit import record


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
