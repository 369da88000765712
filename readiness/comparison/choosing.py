"""Which round of a site is compared: its rounds as the rules read them, newest first,
and the choice among them (readiness/comparison/__init__.py has the rules)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import NamedTuple

from readiness.models import Round

CLOSED, LATEST = "closed", "latest"  # the two ways of choosing: Standing's two fields


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
