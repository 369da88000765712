"""Who may see what. Every staff view finds its objects through these querysets, so an
outsider gets 404 (the object's existence is not revealed) and never a 403."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from readiness.models import Facility, Membership, Round


def facilities_for(user) -> QuerySet[Facility]:
    if not user.is_authenticated:
        return Facility.objects.none()
    return Facility.objects.filter(memberships__user=user)


def facilities_managed_by(user) -> QuerySet[Facility]:
    """Facilities where the user may open and close rounds."""
    if not user.is_authenticated:
        return Facility.objects.none()
    # One filter() call, so that user and level are matched on the same membership row.
    return Facility.objects.filter(
        memberships__user=user,
        memberships__level__in=[Membership.Level.OWNER, Membership.Level.EDITOR],
    )


def get_facility_for_user(user, slug: str) -> Facility:
    return get_object_or_404(facilities_for(user), slug=slug)


def get_round_for_user(user, slug: str, round_id: int) -> Round:
    return get_object_or_404(
        Round.objects.select_related("facility", "instrument").filter(
            facility__in=facilities_for(user)
        ),
        facility__slug=slug,
        pk=round_id,
    )


def can_manage(user, facility: Facility) -> bool:
    return facilities_managed_by(user).filter(pk=facility.pk).exists()
