"""A partner organisation's portfolio: every facility that shares with it, side by side
(views/partners.py).

Each facility shows its latest closed round among those it shares; one that has shared
no closed round with results yet shows its latest round with results still collecting
answers, marked open. A facility sharing every round is read from its standing
(services/standings.py), one row per facility whatever its rounds; one sharing chosen
rounds, from those rounds. Figures are those disclosure.summarise releases, in each
round's own questionnaire.
"""

from dataclasses import dataclass
from functools import cached_property

from readiness.comparison import (
    CLOSED,
    LATEST,
    SITE_COLUMNS,
    Site,
    SiteFacility,
    choose,
    entry,
    rounds_by_facility,
    site_from,
    standing_sites,
)
from readiness.disclosure import smallest_group
from readiness.models import Band, Facility, Round, RoundRelease, Share
from readiness.pages import instrument_by_version, instrument_structure
from readiness.scoring import band_for

# The weakest areas named for each facility.
GAPS_SHOWN = 3


@dataclass
class PortfolioRow:
    site: Site
    share: Share
    columns: list[str]  # Portfolio.domains' codes

    @cached_property
    def gaps(self) -> list[tuple[str, float]]:
        """(determinant name, score) of the weakest areas, lowest first; made when asked
        for, as the page shows fifty of hundreds of rows."""
        names = {d.code: d.name for d in _structure(self.site.chosen["version"]).determinants}
        return sorted(
            (
                (names.get(code, code), score)
                for code, score in self.site.scores.items()
                # on the score as shown: a 74.6 reads 75, a strength, not a weak area
                if band_for(score) != Band.STRENGTH
            ),
            key=lambda gap: gap[1],
        )[:GAPS_SHOWN]

    @cached_property
    def domains(self) -> list[float | None]:
        """A score per column."""
        return [self.site.domains.get(code) for code in self.columns]


@dataclass
class Portfolio:
    rows: list[PortfolioRow]  # facilities with results, by name
    without_results: list[SiteFacility]  # by name
    domains: list[tuple[str, str]]  # (code, name): the columns


def portfolio(shares: list[Share]) -> Portfolio:
    """The shares' facilities with what each shows: two queries for the facilities
    sharing every round (one when this process has read their standings), three for
    those sharing chosen rounds, whatever the number of facilities."""
    share_of = {share.facility_id: share for share in shares}
    every_round = Facility.objects.filter(pk__in=[s.facility_id for s in shares if s.all_rounds])
    # the latest closed round with results, or else the latest with results, open
    sites = {s.facility.pk: s for s in standing_sites(every_round, CLOSED, or_else=LATEST)}
    sites |= _chosen_rounds([s for s in shares if not s.all_rounds])
    rows, without_results, versions = [], [], []
    for site in sorted(sites.values(), key=lambda site: site.facility.name):
        if site.chosen is None:
            without_results.append(site.facility)
            continue
        if site.chosen["version"] not in versions:
            versions.append(site.chosen["version"])
        rows.append(site)
    domains: dict[str, str] = {}
    for version in versions:
        for determinant in _structure(version).determinants:
            domains.setdefault(determinant.domain.code, determinant.domain.name)
    columns = list(domains)
    return Portfolio(
        [PortfolioRow(site, share_of[site.facility.pk], columns) for site in rows],
        without_results,
        list(domains.items()),
    )


def _structure(version: str):
    return instrument_structure(instrument_by_version(version))


def _chosen_rounds(shares: list[Share]) -> dict[int, Site]:
    """Sites of facilities sharing chosen rounds, from those rounds (the same rules as
    a standing's, over the rounds shared)."""
    if not shares:
        return {}
    facilities = list(
        Facility.objects.filter(pk__in=[s.facility_id for s in shares]).values_list(
            *SITE_COLUMNS, "min_group"
        )
    )
    rounds = rounds_by_facility(
        Round.objects.filter(shares__in=shares).distinct(), [pk for pk, *_rest in facilities]
    )
    choices = {}
    for pk, *_rest, own in facilities:
        minimum = smallest_group(own)
        choice = choose(rounds[pk], minimum=minimum, include_open=False)
        if choice.round is None:
            choice = choose(rounds[pk], minimum=minimum, include_open=True)
        choices[pk] = (choice, minimum)
    releases = dict(
        RoundRelease.objects.filter(
            round_id__in=[c.round.id for c, _ in choices.values() if c.round]
        ).values_list("round_id", "summary")
    )
    return {
        pk: site_from(
            SiteFacility(pk, name, slug, type_, state),
            entry(choices[pk][0], releases, minimum=choices[pk][1]),
        )
        for pk, name, slug, type_, state, _own in facilities
    }
