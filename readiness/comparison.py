"""Sites compared: which round of each site a comparison shows, and the summary above a
network's table (views/networks.py: the page, its downloads and its report).

The rules:

- each site is compared on its latest closed round in the period chosen whose published
  results have something to show under the site's smallest group; with ``include_open``,
  on its latest such round, open or closed. A site whose newest round in the period is
  still collecting answers says so, and whether that round has results yet;
- the columns are the determinants of the newest questionnaire among the rounds that may
  be compared (closed ones, or any with ``include_open``; without one, among all the
  period's rounds); a round of another version keeps only the determinants that carried
  over, and no overall score (scoring.comparable);
- the summary covers every site chosen by type and state: the areas with the lowest
  median across the sites with a score, how many of them are in the gap band, the sites
  with no closed round with results in the last twelve months (whatever the period), and
  the sites whose compared round has too few people from key roles.

Without a period, a comparison reads one Standing per site, kept at write time by
services/standings.py with these same rules, so that a network of a thousand sites costs
one row per site and never reads its rounds; with a period, it reads the sites' rounds.
Every figure comes from disclosure.summarise, under the site's smallest group: a standing
made under another one, or before the site's results last changed, is made again before
it is read.
"""

from __future__ import annotations

import datetime
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from statistics import median
from typing import NamedTuple

from django.urls import reverse
from django.utils import timezone

from readiness import disclosure
from readiness.forms import ComparisonFilter
from readiness.models import Band, FacilityType, Round, RoundRelease, Standing
from readiness.pages import instrument_by_version, instrument_structure
from readiness.scoring import DEVELOPING_FROM, RoundSummary, band_for, comparable, shown

# The summary names this many of the weakest areas across the sites.
WEAKEST_SHOWN = 3
# The summary's lists of sites name this many, then say how many more there are: the
# downloads list them all.
LISTED = 25

CLOSED, LATEST = "closed", "latest"  # the two ways of choosing: Standing's two fields
# The shape of an entry (entry()): raised whenever it changes, so that standings kept by
# earlier code are worked out again rather than read.
ENTRY_FORMAT = 1


class RoundRow(NamedTuple):
    """What the rules read of a round (newest first: by opening date, then id)."""

    id: int
    label: str
    opened_on: datetime.date
    closed_on: datetime.date | None
    is_open: bool
    version: str
    respondents: int
    most_scored: int

    def has_results(self, minimum: int) -> bool:  # RoundRelease.has_results
        return self.respondents >= minimum and self.most_scored >= minimum


# The columns of Round (with its release's) that make a RoundRow.
ROUND_COLUMNS = (
    "pk",
    "label",
    "opened_on",
    "closed_on",
    "status",
    "instrument__version",
    "release__respondents",
    "release__most_scored",
)


def rounds_by_facility(rounds, facility_ids) -> dict[int, list[RoundRow]]:
    """{facility id: its rounds of the queryset ``rounds``, newest first} for each of
    these facilities (an empty list for one without any); one query."""
    found: dict[int, list[RoundRow]] = {pk: [] for pk in facility_ids}
    for values in rounds.order_by("-opened_on", "-pk").values_list("facility_id", *ROUND_COLUMNS):
        found[values[0]].append(round_row(values[1:]))
    return found


def round_row(values) -> RoundRow:
    pk, label, opened_on, closed_on, status, version, respondents, most_scored = values
    return RoundRow(
        pk,
        label,
        opened_on,
        closed_on,
        status == Round.Status.OPEN,
        version,
        respondents or 0,
        most_scored or 0,
    )


@dataclass
class Choice:
    """One way of choosing a site's round: the round, and whether a newer one is still
    collecting answers (and has results yet)."""

    round: RoundRow | None = None
    collecting: bool = False
    collecting_has_results: bool = False
    # The newest round that may be compared (closed, or any with include_open), results
    # or not: the reference questionnaire is the newest of these across the sites.
    newest_eligible: RoundRow | None = None


def choose(rounds: list[RoundRow], *, minimum: int, include_open: bool, period=None) -> Choice:
    """The site's round to compare, from its rounds newest first. ``period``: (from,
    until), either None, bounding the rounds' opening dates."""
    choice = Choice()
    for row in rounds:
        if not in_period(row.opened_on, period):
            continue
        if include_open or not row.is_open:
            choice.newest_eligible = choice.newest_eligible or row
        if choice.round is not None:
            continue
        results = row.has_results(minimum)
        if not results or (row.is_open and not include_open):
            if row.is_open and not choice.collecting:  # (the newest open one)
                choice.collecting = True
                choice.collecting_has_results = results
            continue
        choice.round = row
    return choice


def in_period(opened_on: datetime.date, period) -> bool:
    start, end = period or (None, None)
    return not ((start and opened_on < start) or (end and opened_on > end))


def last_closed_on(rounds: list[RoundRow], *, minimum: int) -> datetime.date | None:
    """When the site last closed a round with results, whatever the period (imports
    from before rounds kept their closing date count as closed on opening)."""
    closed = [
        r.closed_on or r.opened_on for r in rounds if not r.is_open and r.has_results(minimum)
    ]
    return max(closed, default=None)


# --- One site --------------------------------------------------------------------------


def entry(choice: Choice, releases: dict[int, dict], *, minimum: int) -> dict:
    """A choice as JSON (Standing.closed and .latest): the round with its published
    facility-level figures as disclosure.summarise releases them under this minimum
    (``releases``: RoundRelease.summary by round id), and what else the page says."""
    chosen = choice.round
    summary = None
    if chosen is not None:
        summary = disclosure.summarise(
            releases[chosen.id],
            respondents=chosen.respondents,
            most_scored=chosen.most_scored,
            minimum=minimum,
        )
    return {
        "round": None
        if summary is None
        else {
            "id": chosen.id,
            "label": chosen.label,
            "opened_on": chosen.opened_on.isoformat(),
            "is_open": chosen.is_open,
            "version": chosen.version,
            "people": summary.respondents,  # the published count
            "scores": summary.determinants,
            "domains": summary.domains,
            "overall": summary.overall,
            "roles_heard": sorted(summary.roles_with_minimum),
        },
        "collecting": choice.collecting,
        "collecting_has_results": choice.collecting_has_results,
        "newest_eligible": newest_of(choice.newest_eligible),
    }


def newest_of(row: RoundRow | None) -> list | None:
    """[opened on, id, questionnaire version]: enough to find the newest of many."""
    return None if row is None else [row.opened_on.isoformat(), row.id, row.version]


@dataclass(frozen=True)
class SiteFacility:
    """What a comparison shows of a site itself."""

    pk: int
    name: str
    slug: str
    type: str
    state: str

    @property
    def type_label(self) -> str:
        return FacilityType(self.type).label


@dataclass(frozen=True)
class ShownRound:
    """What a comparison shows of a site's compared round."""

    id: int
    label: str
    opened_on: datetime.date
    is_open: bool
    version: str
    facility_slug: str

    @property
    def status(self) -> str:
        return Round.Status.OPEN if self.is_open else Round.Status.CLOSED

    def get_absolute_url(self) -> str:
        return reverse("round-dashboard", args=[self.facility_slug, self.id])


@dataclass
class Site:
    facility: SiteFacility
    # The compared round as its entry keeps it (entry()), None without one; read
    # through ``round`` and the fields below.
    chosen: dict | None = None
    # the round's published scores in the comparison's questionnaire (readiness.disclosure)
    scores: dict[str, float] = field(default_factory=dict)
    domains: dict[str, float] = field(default_factory=dict)  # in the round's own
    overall: float | None = None
    # people in the shown round's published results (never the live count, which would
    # move when one person finishes: disclosure.release_status)
    people: int | None = None
    # roles with at least the minimum group in the shown round
    roles_heard: frozenset[str] = frozenset()
    other_version: bool = False  # answered on an older questionnaire version
    # No round shown because the site's latest round in the period is still collecting
    # answers and open rounds were not asked for; whether that round has results yet.
    collecting: bool = False
    collecting_has_results: bool = False
    # For the summary, whatever the period chosen: whether the site has any round, and
    # when it last closed a round with results.
    has_rounds: bool = False
    last_closed_on: datetime.date | None = None
    # [opened on, id, version] of the newest round that may be compared, and of the
    # newest in the period at all: which questionnaire the columns speak (entry())
    newest_eligible: list | None = None
    newest: list | None = None

    row: list = field(default_factory=list)  # (score, band in words) per determinant column

    @cached_property
    def round(self) -> ShownRound | None:
        """Made when asked for: a page shows fifty of a thousand sites' rounds."""
        chosen = self.chosen
        if chosen is None:
            return None
        return ShownRound(
            chosen["id"],
            chosen["label"],
            datetime.date.fromisoformat(chosen["opened_on"]),
            chosen["is_open"],
            chosen["version"],
            self.facility.slug,
        )


def site_from(facility: SiteFacility, data: dict) -> Site:
    """A Site from an entry (entry())."""
    chosen = data.get("round")
    site = Site(
        facility=facility,
        chosen=chosen,
        collecting=data.get("collecting", False),
        collecting_has_results=data.get("collecting_has_results", False),
        newest_eligible=data.get("newest_eligible"),
    )
    if chosen is not None:
        site.people = chosen["people"]
        site.scores = chosen["scores"]
        site.domains = chosen["domains"]
        site.overall = chosen["overall"]
        site.roles_heard = frozenset(chosen["roles_heard"])
    return site


# --- Many sites ------------------------------------------------------------------------


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


# --- The summary -----------------------------------------------------------------------


@dataclass
class WeakArea:
    name: str
    median: float
    sites: int  # sites with a score for it
    in_gap: int  # of them, in the gap band


def weakest(sites: list[Site], determinants) -> list[WeakArea]:
    """The areas with the lowest median across the sites that have a score for them,
    from the scores the table shows (each released by readiness.disclosure)."""
    values: dict[str, list[float]] = {code: [] for code, _name in determinants}
    for site in sites:
        for code, score in site.scores.items():
            if score is not None and code in values:
                values[code].append(score)
    areas = []
    for position, (code, name) in enumerate(determinants):
        if scores := sorted(values[code]):
            middle = median(scores)
            # band_for's gap: below the developing band's threshold less a half
            gap = bisect_left(scores, DEVELOPING_FROM - 0.5)
            areas.append((shown(middle), position, WeakArea(name, middle, len(scores), gap)))
    return [area for *_key, area in sorted(areas, key=lambda a: a[:2])[:WEAKEST_SHOWN]]


def a_year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # February 29
        return day.replace(year=day.year - 1, day=28)


def no_recent_round(sites: list[Site], since: datetime.date) -> list[Site]:
    """Sites with no closed round with results since the day, by name."""
    return [s for s in sites if s.last_closed_on is None or s.last_closed_on < since]


def missing_voices(sites: list[Site], key_roles) -> list[tuple[Site, list[str]]]:
    """Sites with results whose compared round has fewer than the minimum from a key
    role, with those roles' names (only sites with results can be judged on it)."""
    return [
        (site, names)
        for site in sites
        if site.chosen is not None
        and (names := [name for code, name in key_roles if code not in site.roles_heard])
    ]


def sorted_sites(sites: list[Site], sort: str, codes) -> list[Site]:
    def key(site):
        if sort == "overall":
            value = site.overall
        elif sort in codes:
            value = site.scores.get(sort)
        else:
            return (0, 0, site.facility.name.lower())
        return (value is None, value if value is not None else 0, site.facility.name.lower())

    return sorted(sites, key=key)


def with_rows(sites, codes):
    """Each site's table cells (score, band in words), for the sites shown."""
    for site in sites:
        site.row = [
            (site.scores.get(code), Band(band_for(site.scores.get(code))).label) for code in codes
        ]
    return sites


# --- A network's page and report --------------------------------------------------------


def chosen_sites(network, data):
    """(the filter form, the network's facilities it keeps by type and state)."""
    form = ComparisonFilter(data)
    filters = form.cleaned_data if form.is_valid() else {}
    facilities = network.facilities.all()
    if filters.get("type"):
        facilities = facilities.filter(type=filters["type"])
    if filters.get("state"):
        facilities = facilities.filter(state=filters["state"])
    return form, facilities


def compared(network, data):
    """(the filter form, the comparison it asks for, its sites in the order asked for):
    the table of the network's page, its report and its download. ``data``: the page's
    query (forms.ComparisonFilter, and ``sort``)."""
    form, facilities = chosen_sites(network, data)
    filters = form.cleaned_data if form.is_valid() else {}
    period = (filters.get("opened_from"), filters.get("opened_to"))
    include_open = bool(filters.get("include_open"))
    found = compare(facilities, include_open=include_open, period=period if any(period) else None)
    codes = [code for code, _ in found.determinants]
    return form, found, sorted_sites(found.sites, data.get("sort", "name"), codes)


def overview(network, data) -> dict:
    """What the network's page and its report show: every site with its round and scores,
    and the summary (the rules above), from figures each released by readiness.disclosure."""
    form, found, sites = compared(network, data)
    codes = [code for code, _ in found.determinants]
    sort = data.get("sort", "name")
    include_open = bool(form.is_valid() and form.cleaned_data.get("include_open"))
    scored = [s for s in sites if s.chosen is not None]
    missing = missing_voices(scored, found.key_roles)
    year_ago = a_year_before(timezone.localdate())
    without_recent = no_recent_round(found.sites, year_ago)  # (by name)
    return {
        "network": network,
        "form": form,
        "include_open": include_open,
        "sites": sites,
        "scored": scored,
        "determinants": found.determinants,
        "codes": codes,
        "key_roles": found.key_roles,
        "missing": missing,
        "missing_listed": missing[:LISTED],
        "missing_more": max(0, len(missing) - LISTED),
        "sort": sort,
        "scored_count": len(scored),
        "weakest": weakest(scored, found.determinants),
        "year_ago": year_ago,
        "no_recent_round": without_recent,
        "no_recent_listed": without_recent[:LISTED],
        "no_recent_more": max(0, len(without_recent) - LISTED),
    }
