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

The package, in the order the rules apply: ``choosing`` (which round of a site),
``sites`` (one site, as Standing keeps it), ``comparing`` (many sites in one
questionnaire's terms), ``summary`` (what the network's page says above its table).
"""

from readiness.comparison.choosing import (
    CLOSED,
    LATEST,
    Choice,
    RoundRow,
    choose,
    in_period,
    last_closed_on,
    rounds_by_facility,
)
from readiness.comparison.comparing import (
    SITE_COLUMNS,
    Comparison,
    compare,
    forget,
    standing_sites,
)
from readiness.comparison.sites import (
    ENTRY_FORMAT,
    ShownRound,
    Site,
    SiteFacility,
    entry,
    newest_of,
    site_from,
)
from readiness.comparison.summary import (
    LISTED,
    WEAKEST_SHOWN,
    WeakArea,
    chosen_sites,
    compared,
    overview,
    weakest,
    with_rows,
)

__all__ = [
    "CLOSED",
    "ENTRY_FORMAT",
    "LATEST",
    "LISTED",
    "SITE_COLUMNS",
    "WEAKEST_SHOWN",
    "Choice",
    "Comparison",
    "RoundRow",
    "ShownRound",
    "Site",
    "SiteFacility",
    "WeakArea",
    "choose",
    "chosen_sites",
    "compare",
    "compared",
    "entry",
    "forget",
    "in_period",
    "last_closed_on",
    "newest_of",
    "overview",
    "rounds_by_facility",
    "site_from",
    "standing_sites",
    "weakest",
    "with_rows",
]
