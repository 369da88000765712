"""Writes made by facility staff: facilities, rounds."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from readiness.models import Facility, Instrument, Membership, Round


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
    facility.save()
    if owner is not None:
        Membership.objects.create(user=owner, facility=facility, level=Membership.Level.OWNER)
    return facility


@transaction.atomic
def open_round(*, facility: Facility, label: str) -> Round:
    instrument = Instrument.current()
    if instrument is None:
        raise ValidationError(_("No questionnaire is loaded yet. Ask your administrator."))
    round_ = Round(facility=facility, instrument=instrument, label=label.strip())
    round_.full_clean()
    round_.save()
    return round_


def close_round(*, round_: Round) -> None:
    Round.objects.filter(pk=round_.pk, status=Round.Status.OPEN).update(
        status=Round.Status.CLOSED, closed_on=timezone.localdate()
    )
    round_.refresh_from_db(fields=["status", "closed_on"])


def reopen_round(*, round_: Round) -> None:
    Round.objects.filter(pk=round_.pk).update(status=Round.Status.OPEN, closed_on=None)
    round_.refresh_from_db(fields=["status", "closed_on"])


def results_changed(*, facility_id: int) -> None:
    """Record that the facility's results changed, so cached dashboards are rebuilt."""
    Facility.objects.filter(pk=facility_id).update(results_version=F("results_version") + 1)
