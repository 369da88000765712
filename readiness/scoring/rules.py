"""The thresholds and arithmetic of docs/scoring.md: how an answer becomes a score, a
score a band, and how far respondents agree."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from statistics import fmean

from readiness.models import Band

STRENGTH_FROM = 75.0


DEVELOPING_FROM = 50.0


BAND_THRESHOLDS = (DEVELOPING_FROM, STRENGTH_FROM)


# Smallest group whose results are shown on their own; smaller groups are only pooled.
# The operator's unsuppressed figures use it; pages use disclosure.min_group().
MIN_GROUP = 3


# Why a role is hidden when it has too few respondents (disclosure.Hidden has the rest).
FEWER_THAN_MINIMUM = "fewer_than_minimum"


LOW_AGREEMENT_BELOW = 0.70


HIGH_DONT_KNOW_FROM = 0.25


# Expected variance of answers spread uniformly over a 5-point scale: (5**2 - 1) / 12.
UNIFORM_NULL_VARIANCE = 2.0


# Two-sided 95% normal quantile, for intervals around determinant scores.
Z_95 = 1.959964


# "Where to act first" names this many determinants, each with its most recommended
# strategies: a short list gets acted on, a list of ten does not (docs/scoring.md §6).
FOCUS_SIZE = 3


STRATEGIES_PER_FOCUS = 3


def shown(score: float | None) -> int | None:
    """A score as every page, chart and download shows it: a whole number, halves up.

    Python's round() sends halves to the even number (74.5 -> 74) while Django's
    floatformat sends them up, so pages use this one rounding, through the ``score``
    template filter, and bands are given on it: a score shown as 75 is always a strength.
    """
    if score is None:
        return None
    return int(Decimal(str(float(score))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def band_for(score: float | None) -> str:
    """The band of a score as shown (see ``shown``): a score shown as 75 or more is a
    strength, as 50 or more developing.

    Compared with the thresholds less a half rather than through ``shown``, which is
    the same and far quicker (network pages band thousands of scores): the decimal that
    ``shown`` rounds is the shortest one that reads back as the same float, so it is at
    least 74.5 exactly when the float is, 74.5 being a float itself."""
    if score is None:
        return Band.INSUFFICIENT
    if score >= STRENGTH_FROM - 0.5:
        return Band.STRENGTH
    if score >= DEVELOPING_FROM - 0.5:
        return Band.DEVELOPING
    return Band.GAP


def answer_score(value: int, *, reverse_scored: bool) -> float:
    """The 0-100 score of a 1-5 answer."""
    return float((5 - value) * 25 if reverse_scored else (value - 1) * 25)


def rwg_j(item_variances: list[float]) -> float | None:
    """Within-group agreement over J items, from each item's sample variance (1-5 scale).

    None when no item had two ratings; 0 when the observed variance reaches the
    uniform null (respondents agree no more than chance).
    """
    if not item_variances:
        return None
    j = len(item_variances)
    ratio = fmean(item_variances) / UNIFORM_NULL_VARIANCE
    if ratio >= 1:
        return 0.0
    return j * (1 - ratio) / (j * (1 - ratio) + ratio)


def standard_error(n: int, mean: float, squares: float) -> float | None:
    """Standard error of a mean from its count, value and sum of squares; None below 2.

    ``n`` counts the scores behind ``mean`` and ``squares``: from two of them, both are
    numbers."""
    if n < 2:
        return None
    variance = max(0.0, (squares - n * mean * mean) / (n - 1))
    return math.sqrt(variance / n)


def mean_or_none(values) -> float | None:
    present = [v for v in values if v is not None]
    return fmean(present) if present else None


class Banded:
    """The band of a result's ``score`` (docs/scoring.md: thresholds 50 and 75)."""

    score: float | None

    @property
    def band(self) -> str:
        return band_for(self.score)

    @property
    def band_label(self) -> str:
        return Band(self.band).label
