"""Where each facility stands (models.Standing), kept at write time so that a page
comparing hundreds of sites reads one row per site and never their rounds.

Worked out again, by the rules of readiness/comparison/, each time the facility's results
version moves (services/facilities.results_changed), in the same transaction; a
comparison that finds one out of date (a different results version or smallest group)
has it worked out again before reading it.
"""

from readiness.comparison import (
    CLOSED,
    ENTRY_FORMAT,
    LATEST,
    choose,
    entry,
    last_closed_on,
    newest_of,
    rounds_by_facility,
)
from readiness.disclosure import min_group
from readiness.models import Facility, Round, RoundRelease, Standing


def refresh_standings(facility_ids, *, make_releases: bool = True) -> None:
    """Work out these facilities' standings again: five queries for any number of them.

    Rounds from before every round had its release get one first, once, unless
    ``make_releases`` is False: inside another write's transaction, locking such a round
    could wait on a reader making the same release, which waits on this transaction's
    facility; such a facility's standing is dropped instead, for the next reader to make.
    """
    from readiness.services.releases import refresh_release

    facility_ids = list(facility_ids)
    without = Round.objects.filter(facility_id__in=facility_ids, release__isnull=True)
    if make_releases:
        for pk in without.values_list("pk", flat=True):  # 1
            refresh_release(round_id=pk)
    else:
        unready = set(without.values_list("facility_id", flat=True))  # 1
        Standing.objects.filter(facility_id__in=unready).delete()
        facility_ids = [pk for pk in facility_ids if pk not in unready]
    facilities = list(
        Facility.all_objects.filter(pk__in=facility_ids).only("pk", "results_version", "min_group")
    )  # 2
    rounds = rounds_by_facility(
        Round.objects.filter(facility_id__in=facility_ids), [f.pk for f in facilities]
    )  # 3
    choices = {}
    for facility in facilities:
        minimum = min_group(facility)
        choices[facility.pk] = {
            mode: choose(rounds[facility.pk], minimum=minimum, include_open=mode == LATEST)
            for mode in (CLOSED, LATEST)
        }
    chosen = {c.round.id for by_mode in choices.values() for c in by_mode.values() if c.round}
    releases = dict(
        RoundRelease.objects.filter(round_id__in=chosen).values_list("round_id", "summary")
    )  # 4
    standings = []
    for facility in facilities:
        minimum, own = min_group(facility), rounds[facility.pk]
        standings.append(
            Standing(
                facility_id=facility.pk,
                results_version=facility.results_version,
                minimum=minimum,
                entry_format=ENTRY_FORMAT,
                last_closed_on=last_closed_on(own, minimum=minimum),
                newest=newest_of(own[0] if own else None),
                closed=entry(choices[facility.pk][CLOSED], releases, minimum=minimum),
                latest=entry(choices[facility.pk][LATEST], releases, minimum=minimum),
            )
        )
    Standing.objects.bulk_create(
        standings,
        update_conflicts=True,
        unique_fields=["facility"],
        update_fields=[
            "results_version",
            "minimum",
            "entry_format",
            "last_closed_on",
            "newest",
            "closed",
            "latest",
        ],
    )  # 5
