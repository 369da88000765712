"""Many sites in one questionnaire's terms: from their standings (kept at write time,
and decoded once per process), or from a period's rounds."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from readiness import disclosure
from readiness.comparison.choosing import (
    CLOSED,
    LATEST,
    choose,
    in_period,
    last_closed_on,
    rounds_by_facility,
)
from readiness.comparison.sites import (
    ENTRY_FORMAT,
    Site,
    SiteFacility,
    entry,
    newest_of,
    site_from,
)
from readiness.models import Round, RoundRelease, Standing
from readiness.pages import instrument_by_version, instrument_structure
from readiness.scoring import RoundSummary, comparable


@dataclass
class Comparison:
    sites: list[Site]  # by name
    determinants: list[tuple[str, str]]  # (code, name): the columns
    key_roles: list[tuple[str, str]]  # (code, name)
    reference: str | None  # the questionnaire version of the columns


def compare(facilities, *, include_open: bool = False, period=None) -> Comparison:
    """Every facility of the queryset, by name, with the round the rules choose and its
    published results in one questionnaire's terms; in a fixed number of queries
    whatever the number of sites."""
    mode = LATEST if include_open else CLOSED
    if period is not None:
        return _in_one_questionnaire(_compare_in_period(facilities, mode, period))
    return _in_one_questionnaire(standing_sites(facilities, mode))


SITE_COLUMNS = ("pk", "name", "slug", "type", "state")


def standing_sites(facilities, mode: str, *, or_else: str | None = None) -> list[Site]:
    """Every facility of the queryset, by name, as its standing has it (``mode``: CLOSED
    or LATEST; ``or_else``: the other, for a facility without a round the first way),
    each in its own questionnaire's terms. Two queries, or one when this process has
    read every standing at its version already."""
    rows = list(
        facilities.order_by("name").values_list(
            *SITE_COLUMNS,
            "min_group",
            "results_version",
            "standing__minimum",
            "standing__results_version",
            "standing__entry_format",
        )
    )  # 1
    # Figures kept under another smallest group, before the results last moved (through
    # something that bypassed services/facilities.results_changed), or by earlier code,
    # are worked out again before anything is read of them.
    stale = [
        row[0]
        for row in rows
        if row[7:] != (disclosure.smallest_group(row[5]), row[6], ENTRY_FORMAT)
    ]
    if stale:
        from readiness.services.standings import refresh_standings

        refresh_standings(stale)
        return standing_sites(facilities, mode, or_else=or_else)
    standings = _standings([(row[0], row[8], row[7]) for row in rows])  # 2
    sites = []
    for pk, name, slug, type_, state, *_versions in rows:
        last, newest, entries = standings[pk]
        data = entries[mode]
        if or_else and data["round"] is None:
            data = entries[or_else]
        site = site_from(SiteFacility(pk, name, slug, type_, state), data)
        site.has_rounds = newest is not None
        site.last_closed_on = last
        site.newest = newest
        sites.append(site)
    return sites


# Standings read, by (facility, results version, smallest group): a standing never
# changes under one key, so each process decodes it once, and a page of a thousand sites
# made afresh after one site's new results reads that one site's again.
_kept: dict[tuple, tuple] = {}
# About 10 KB each (both ways of choosing, decoded; measured with tracemalloc): 3,000,
# three networks of a thousand sites, keep about 30 MB a process.
KEEP_AT_MOST = 3_000


def forget() -> None:
    """Drop what this process keeps (tests, whose databases reuse ids and versions)."""
    _kept.clear()


def _standings(keys: list[tuple]) -> dict[int, tuple]:
    """{facility id: (last closed on, newest, {CLOSED: entry, LATEST: entry})} for these
    keys, from what this process keeps, reading the others (one query)."""
    found = {key[0]: _kept[key] for key in keys if key in _kept}
    wanted = {key[0]: key for key in keys if key[0] not in found}
    if not wanted:
        return found
    if len(_kept) + len(wanted) > KEEP_AT_MOST:  # the older half goes (dicts keep order)
        for key in list(islice(_kept, len(_kept) // 2 + len(wanted))):
            del _kept[key]
    for pk, version, minimum, last, newest, closed, latest in Standing.objects.filter(
        facility_id__in=wanted
    ).values_list(
        "facility_id", "results_version", "minimum", "last_closed_on", "newest", CLOSED, LATEST
    ):
        found[pk] = (last, newest, {CLOSED: closed, LATEST: latest})
        if (version, minimum) == wanted[pk][1:]:  # (else rewritten meanwhile: not kept)
            _kept[wanted[pk]] = found[pk]
    return found


def _compare_in_period(facilities, mode, period) -> list[Site]:
    """The rules over the sites' rounds themselves: for a period, which no Standing
    keeps. Costs a row per round and a summary per site compared."""
    found = list(facilities.order_by("name").values_list(*SITE_COLUMNS, "min_group"))  # 1
    minimums = {pk: disclosure.smallest_group(own) for pk, *_rest, own in found}
    rounds = rounds_by_facility(
        Round.objects.filter(facility__in=facilities), [pk for pk, *_rest in found]
    )  # 2
    choices = {
        pk: choose(rounds[pk], minimum=minimums[pk], include_open=mode == LATEST, period=period)
        for pk in rounds
    }
    chosen = [choice.round.id for choice in choices.values() if choice.round is not None]
    releases = dict(
        RoundRelease.objects.filter(round_id__in=chosen).values_list("round_id", "summary")
    )  # 3
    sites = []
    for pk, name, slug, type_, state, _own in found:
        site = site_from(
            SiteFacility(pk, name, slug, type_, state),
            entry(choices[pk], releases, minimum=minimums[pk]),
        )
        site.has_rounds = bool(rounds[pk])
        site.last_closed_on = last_closed_on(rounds[pk], minimum=minimums[pk])
        in_period_rounds = (r for r in rounds[pk] if in_period(r.opened_on, period))
        site.newest = newest_of(next(in_period_rounds, None))
        sites.append(site)
    return sites


def _in_one_questionnaire(sites: list[Site]) -> Comparison:
    """The sites' scores in the reference questionnaire's terms, and its columns."""

    def newest(candidates):
        return max(candidates, key=lambda n: (n[0], n[1]), default=None)

    # the newest round that may be compared; without one, the period's newest
    reference = newest(s.newest_eligible for s in sites if s.newest_eligible) or newest(
        s.newest for s in sites if s.newest
    )
    if reference is None:
        return Comparison(sites, [], [], None)
    instrument = instrument_by_version(reference[2])
    structure = instrument_structure(instrument)
    for site in sites:
        if site.chosen is not None and site.chosen["version"] != instrument.version:
            # another questionnaire: the determinants that carried over, no overall
            site.scores = comparable(
                RoundSummary(instrument_version=site.chosen["version"], determinants=site.scores),
                instrument,
            ).determinants
            site.overall = None
            site.other_version = True
    return Comparison(
        sites,
        [(d.code, d.name) for d in structure.determinants],
        [(r.code, r.name) for r in structure.roles if r.key_voice],
        instrument.version,
    )
