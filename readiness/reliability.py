"""How well a determinant's statements measure one thing: Cronbach's alpha and corrected
item-total correlations (docs/instrument.md, "How good the questions are").

The computations are pingouin's (alpha, with pairwise covariances as R's
psych::alpha(use="pairwise")) and pandas' (correlations). Nothing here decides who may
see a figure: disclosure.instrument_quality does.
"""

from dataclasses import dataclass

import pandas as pd
import pingouin

# Plain flags: below these, a determinant's statements may not measure one thing, or a
# statement may not belong with the others (conventional thresholds).
LOW_RELIABILITY_BELOW = 0.70
WEAK_ITEM_BELOW = 0.30


@dataclass(frozen=True)
class ItemFit:
    code: str
    item_total: float | None  # corrected: the item against the mean of the others
    respondents: int  # who answered it and at least one other statement

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


def reliability(points: pd.DataFrame) -> Reliability:
    """``points``: one row per respondent, one column per statement (item code), the
    respondent's points for it (reverse-worded statements already turned round), NaN
    where they gave none."""
    points = points.dropna(axis=1, how="all")
    usable = points[points.notna().sum(axis=1) >= 2]
    if usable.shape[1] < 2 or len(usable) < 2:
        return Reliability(alpha=None, respondents=len(usable), items=[])
    alpha, _interval = pingouin.cronbach_alpha(data=usable)
    items = []
    for code in usable.columns:
        others = usable.drop(columns=[code]).mean(axis=1)
        pair = pd.concat([usable[code], others], axis=1).dropna()
        r = pair.iloc[:, 0].corr(pair.iloc[:, 1]) if len(pair) >= 2 else None
        items.append(
            ItemFit(code=code, item_total=None if pd.isna(r) else float(r), respondents=len(pair))
        )
    return Reliability(
        alpha=None if pd.isna(alpha) else float(alpha), respondents=len(usable), items=items
    )
