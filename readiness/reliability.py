"""How well a determinant's statements measure one thing: Cronbach's alpha and corrected
item-total correlations (docs/instrument.md, "How good the questions are").

The computations are pingouin's (alpha, with pairwise covariances as R's
psych::alpha(use="pairwise")) and pandas' (correlations). Nothing here decides who may
see a figure: disclosure.instrument_quality does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# Plain flags: below these, a determinant's statements may not measure one thing, or a
# statement may not belong with the others (conventional thresholds).
LOW_RELIABILITY_BELOW = 0.70
WEAK_ITEM_BELOW = 0.30


@dataclass(frozen=True)
class ItemFit:
    code: str
    item_total: float | None  # corrected: the item against the mean of the others
    respondents: int | None  # who answered it and others (None: not shown)
    enough: bool = True  # at least the minimum group behind it

    @property
    def weak(self) -> bool:
        return self.item_total is not None and self.item_total < WEAK_ITEM_BELOW


@dataclass(frozen=True)
class Reliability:
    alpha: float | None
    respondents: int  # who answered at least two of its statements
    items: list[ItemFit]

    @property
    def low(self) -> bool:
        return self.alpha is not None and self.alpha < LOW_RELIABILITY_BELOW


def reliability(points: pd.DataFrame, *, common: list[str]) -> Reliability:
    """``points``: one row per respondent, one column per statement (item code), the
    respondent's points for it (reverse-worded statements already turned round), NaN
    where they gave none. ``common``: the statements asked of every role.

    Alpha is computed over the common statements only: statements asked of different
    roles have few or no people in common, and one of them would make every covariance
    with it unreliable or undefined. Each statement's fit is its correlation with the
    mean of the other common statements, among the people who answered it.
    """
    # Imported here, not at the top: pingouin brings scipy, matplotlib and pandas, about
    # 1.5 s at every start of a process (each server worker, each manage.py command), and
    # only the network's question-quality page needs them.
    import pandas as pd
    import pingouin

    # statements nobody rated (asked of nobody here, or left out) carry no covariance
    shared = points[[code for code in common if code in points]].dropna(axis=1, how="all")
    usable = shared[shared.notna().sum(axis=1) >= 2]
    alpha = None
    if usable.shape[1] >= 2 and len(usable) >= 2:
        value, _interval = pingouin.cronbach_alpha(data=usable)
        alpha = None if pd.isna(value) else float(value)
    items = []
    for code in points.columns:
        others = shared.drop(columns=[code], errors="ignore").mean(axis=1)
        pair = pd.concat([points[code], others], axis=1).dropna()
        r = pair.iloc[:, 0].corr(pair.iloc[:, 1]) if len(pair) >= 2 else None
        items.append(
            ItemFit(
                code=code,
                item_total=None if r is None or pd.isna(r) else float(r),
                respondents=len(pair),
            )
        )
    return Reliability(alpha=alpha, respondents=len(usable), items=items)
