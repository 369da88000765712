"""Writes made by facility staff: facilities, rounds."""

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from readiness.models import (
    RESTORE_WITHIN_DAYS,
    AuditEvent,
    Facility,
    Instrument,
    Membership,
    Round,
    new_token,
)
from readiness.services import downloads
from readiness.services.audit import record


@transaction.atomic
def create_facility(
    *,
    name: str,
    slug: str,
    type: str,
    state: str,
    setting: str = "",
    owner: AbstractBaseUser | None = None,
    is_demo: bool = False,
) -> Facility:
    facility = Facility(
        name=name, slug=slug, type=type, state=state, setting=setting, is_demo=is_demo
    )
    facility.full_clean()
    # full_clean sees live facilities only; a deleted one keeps its short name until purged
    if Facility.all_objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("This short name cannot be used. Choose another.")})
    facility.save()
    if owner is not None:
        Membership.objects.create(user=owner, facility=facility, level=Membership.Level.OWNER)
    return facility


@transaction.atomic
def open_round(
    *,
    facility: Facility,
    label: str,
    by=None,
    intervention=None,
    publish_at_close: bool = False,
    alongside_open: bool = False,
) -> Round:
    """A new round on the newest questionnaire. One round is open at a time unless the
    owners choose to run this one alongside (two campuses, say): two links in use at
    once are easy to mix up."""
    instrument = Instrument.current()
    if instrument is None:
        raise ValidationError(_("No questionnaire is loaded yet. Ask your administrator."))
    still_open = facility.rounds.filter(status=Round.Status.OPEN).first()
    if still_open is not None and not alongside_open:
        raise ValidationError(
            _(
                "“%(label)s” is still open. Close it first, or choose to run the new "
                "round alongside it."
            )
            % {"label": still_open.label}
        )
    round_ = Round(
        facility=facility,
        instrument=instrument,
        label=label.strip(),
        intervention=intervention,
        publish_at_close=publish_at_close,
    )
    round_.full_clean()
    round_.save()
    from readiness.services.releases import refresh_release  # (releases imports this module)

    refresh_release(round_id=round_.pk)  # its (empty) published results, from the start
    results_changed(facility_id=facility.pk)  # network pages say a round is collecting
    record(action=AuditEvent.Action.ROUND_OPENED, user=by, facility=facility, round=round_.label)
    return round_


@transaction.atomic
def close_round(*, round_: Round, by=None) -> None:
    """A closed round's links stop taking answers at once."""
    Round.objects.filter(pk=round_.pk, status=Round.Status.OPEN).update(
        status=Round.Status.CLOSED, closed_on=timezone.localdate()
    )
    round_.refresh_from_db(fields=["status", "closed_on"])
    from readiness.services.releases import refresh_release  # (releases imports this module)

    refresh_release(round_id=round_.pk)  # a round kept for its close publishes now
    results_changed(facility_id=round_.facility_id)  # comparisons show closed rounds
    record(
        action=AuditEvent.Action.ROUND_CLOSED, user=by, facility=round_.facility, round=round_.label
    )


@transaction.atomic
def reopen_round(*, round_: Round, by=None) -> None:
    Round.objects.filter(pk=round_.pk).update(status=Round.Status.OPEN, closed_on=None)
    round_.refresh_from_db(fields=["status", "closed_on"])
    results_changed(facility_id=round_.facility_id)
    record(
        action=AuditEvent.Action.ROUND_REOPENED,
        user=by,
        facility=round_.facility,
        round=round_.label,
    )


@transaction.atomic
def replace_round_link(*, round_: Round, by) -> None:
    """A new shared link; the old one stops working. Personal links keep working, so
    people part-way through lose nothing."""
    round_.link_token = new_token()
    round_.save(update_fields=["link_token"])
    record(
        action=AuditEvent.Action.LINK_REGENERATED,
        user=by,
        facility=round_.facility,
        round=round_.label,
    )


@transaction.atomic
def delete_round(*, round_: Round, by) -> None:
    """Removes the round and every answer given to it, for good."""
    facility = round_.facility
    label = round_.label
    round_.delete()
    results_changed(facility_id=facility.pk)
    downloads.withdraw_changed(facility.pk)
    record(action=AuditEvent.Action.ROUND_DELETED, user=by, facility=facility, round=label)


@transaction.atomic
def delete_facility(*, facility: Facility, by) -> None:
    """The facility disappears at once for everyone (LiveFacilities): its pages, its
    links for respondents, its place in networks, shares and peer comparisons. Its owners
    can restore it for RESTORE_WITHIN_DAYS; `manage.py purge_deleted_facilities` then
    removes it, with its rounds, answers, members and shares, for good."""
    now = timezone.now()
    Facility.all_objects.filter(pk=facility.pk).update(deleted_at=now, deleted_by=by)
    downloads.withdraw_changed(facility.pk)
    # no way back in through a link sent earlier
    facility.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    record(
        action=AuditEvent.Action.FACILITY_DELETED,
        user=by,
        facility=facility,
        facility_name=facility.name,
        slug=facility.slug,
    )


def restorable_for(user):
    """Deleted facilities that this person owned when they were deleted, and that can
    still be restored."""
    since = timezone.now() - timedelta(days=RESTORE_WITHIN_DAYS)
    return Facility.all_objects.filter(
        deleted_at__gte=since,
        memberships__user=user,
        memberships__level=Membership.Level.OWNER,
        memberships__created_at__lt=F("deleted_at"),
    ).order_by("name")


@transaction.atomic
def restore_facility(*, facility: Facility, by) -> None:
    if not restorable_for(by).filter(pk=facility.pk).exists():
        raise ValidationError(_("This facility can no longer be restored."))
    Facility.all_objects.filter(pk=facility.pk).update(deleted_at=None, deleted_by=None)
    results_changed(facility_id=facility.pk)
    record(action=AuditEvent.Action.FACILITY_RESTORED, user=by, facility=facility)


def purge_deleted_facilities(*, now=None) -> list[str]:
    """Remove for good every facility deleted more than RESTORE_WITHIN_DAYS ago; the
    audit entries keep its name, their link to it is cleared. Returns the names."""
    before = (now or timezone.now()) - timedelta(days=RESTORE_WITHIN_DAYS)
    names = []
    for pk in Facility.all_objects.filter(deleted_at__lt=before).values_list("pk", flat=True):
        with transaction.atomic():
            # read again under a lock: an owner may have restored it meanwhile
            facility = (
                Facility.all_objects.select_for_update()
                .filter(pk=pk, deleted_at__lt=before)
                .first()
            )
            if facility is None:
                continue
            record(
                action=AuditEvent.Action.FACILITY_DELETED,
                user=None,
                facility=None,
                facility_name=facility.name,
                slug=facility.slug,
                purged=True,
            )
            facility.delete()
        names.append(facility.name)
    return names


def results_changed(*, facility_id: int) -> None:
    """Record that what the facility's results pages show changed (a new release, a
    round opened, closed, reopened or deleted, a plan change, a new minimum group), so
    cached dashboards and network pages are rebuilt, and where it stands among other
    facilities is worked out again (services/standings.py)."""
    from readiness.services.standings import refresh_standings  # (it imports releases)

    Facility.objects.filter(pk=facility_id).update(results_version=F("results_version") + 1)
    refresh_standings([facility_id], make_releases=False)


@transaction.atomic
def set_verified(*, facility: Facility, verified: bool, by=None) -> bool:
    """A site administrator's word that the facility is real (benchmarks.py): only
    verified facilities, and a network's sites, count as peers in other facilities'
    comparisons. Returns whether anything changed; an already verified facility keeps
    the day it was first verified."""
    current = Facility.objects.select_for_update().get(pk=facility.pk)
    if verified == (current.verified_on is not None):
        facility.verified_on = current.verified_on
        return False
    current.verified_on = timezone.localdate() if verified else None
    current.save(update_fields=["verified_on"])
    facility.verified_on = current.verified_on
    record(
        action=AuditEvent.Action.FACILITY_VERIFIED,
        user=by,
        facility=facility,
        verified=verified,
    )
    return True
