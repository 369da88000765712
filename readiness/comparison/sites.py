"""One site as a comparison shows it: the entry a choice makes (what Standing keeps, as
JSON) and the Site read back from it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.urls import reverse

from readiness import disclosure
from readiness.comparison.choosing import Choice, RoundRow
from readiness.models import FacilityType, Round

# The shape of an entry (entry()): raised whenever it changes, so that standings kept by
# earlier code are worked out again rather than read.
ENTRY_FORMAT = 1


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
