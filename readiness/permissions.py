"""Who may see and do what: the one place that decides.

Every staff view gets its facility through facility_access(), which looks the facility up
through what the user may see, so an outsider gets 404 (its existence is not revealed);
a user who may see but not change gets 403 on a write (require()).

- Members of a facility: owner (members, sharing, deletion, exports, audit log), editor
  (opens and closes rounds), viewer (reads results).
- Leaders of a network: read every facility of the network's results, as its viewers do,
  but are not its members: the facility's own records (its action plan, its inventory of
  interventions) stay with its members.
- Members of a partner organisation: read-only results of facilities with an active share
  to that partner, limited to the shared rounds, and to strategies and results by role
  only when the share includes them.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from readiness.models import Facility, Membership, Organisation, Partner, Round, Share

OWNER = Membership.Level.OWNER
EDITOR = Membership.Level.EDITOR


@dataclass(frozen=True)
class FacilityAccess:
    facility: Facility
    level: str | None = None  # for members
    share: Share | None = None  # for partners
    shared_round_ids: frozenset[int] = field(default_factory=frozenset)
    leads: bool = False  # for the leaders of the facility's network

    @property
    def is_member(self) -> bool:
        return self.level is not None

    @property
    def reads_all_results(self) -> bool:
        """Every round's results, with roles and strategies: members and leaders."""
        return self.is_member or self.leads

    @property
    def is_owner(self) -> bool:
        return self.level == OWNER

    @property
    def can_manage_rounds(self) -> bool:
        return self.level in (OWNER, EDITOR)

    @property
    def can_see_strategies(self) -> bool:
        return self.reads_all_results or self.share.include_strategies

    @property
    def can_see_roles(self) -> bool:
        return self.reads_all_results or self.share.include_roles

    def rounds(self) -> QuerySet[Round]:
        rounds = Round.objects.filter(facility=self.facility)
        if self.reads_all_results or self.share.all_rounds:
            return rounds
        return rounds.filter(pk__in=self.shared_round_ids)


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def facility_access(user, slug: str) -> FacilityAccess:
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("facility")
        .filter(user=user, facility__slug=slug, facility__deleted_at__isnull=True)
        .first()
    )
    if membership is not None:
        return FacilityAccess(facility=membership.facility, level=membership.level)
    # Network leaders read every facility of their network's results, as its viewers do.
    led = Facility.objects.filter(slug=slug, network__leaderships__user=user).first()
    if led is not None:
        return FacilityAccess(facility=led, leads=True)
    share = (
        Share.objects.active()
        .select_related("facility")
        .filter(facility__slug=slug, partner__memberships__user=user)
        .order_by("-include_roles", "-include_strategies", "-all_rounds")
        .first()
    )
    if share is None:
        raise Http404
    round_ids = (
        frozenset() if share.all_rounds else frozenset(share.rounds.values_list("pk", flat=True))
    )
    return FacilityAccess(facility=share.facility, share=share, shared_round_ids=round_ids)


def owner_access(user, slug: str) -> FacilityAccess:
    """For pages only owners use: 404 for outsiders, 403 for other members and partners."""
    access = facility_access(user, slug)
    require(access.is_owner)
    return access


def round_for(access: FacilityAccess, round_id: int) -> Round:
    round_ = (
        access.rounds().select_related("instrument", "intervention").filter(pk=round_id).first()
    )
    if round_ is None:
        raise Http404
    round_.facility = access.facility
    return round_


def facilities_for(user) -> QuerySet[Facility]:
    """Facilities the user belongs to (not those shared with their partners)."""
    if not user.is_authenticated:
        return Facility.objects.none()
    return Facility.objects.filter(memberships__user=user)


def organisations_of(user, model: type[Organisation]) -> QuerySet[Organisation]:
    """The networks (or partners: ``model``) ``user`` belongs to; none for someone not
    signed in."""
    if not user.is_authenticated:
        return model.objects.none()
    return model.objects.filter(**{f"{model.PEOPLE}__user": user})


def organisation_for(user, model: type[Organisation], slug: str) -> Organisation:
    """The network or partner ``user`` belongs to at ``slug``; 404 for any other, so that
    outsiders cannot tell which organisations exist."""
    return get_object_or_404(organisations_of(user, model), slug=slug)


def shares_visible_to(partner: Partner) -> QuerySet[Share]:
    return Share.objects.active().filter(partner=partner)
