"""The summary above a network's table, and the page, report and download that read
it: the weakest areas, the sites without a recent round, the missing voices."""

from __future__ import annotations

import datetime
from bisect import bisect_left
from dataclasses import dataclass
from statistics import median

from django.utils import timezone

from readiness.comparison.comparing import compare
from readiness.comparison.sites import Site
from readiness.forms import ComparisonFilter
from readiness.models import Band
from readiness.scoring import DEVELOPING_FROM, band_for, shown

# The summary names this many of the weakest areas across the sites.
WEAKEST_SHOWN = 3
# The summary's lists of sites name this many, then say how many more there are: the
# downloads list them all.
LISTED = 25


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
