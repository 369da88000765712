"""Scoring rules (reads only; docs/scoring.md explains them for users).

Following organisational readiness instruments such as ORCA and ORIC, each respondent
is scored first, respondents are then aggregated, and their agreement is checked
before the aggregate is trusted:

1. an answer 1-5 becomes (v-1)*25 on 0-100, or (5-v)*25 for a reverse-scored item;
   "don't know" and "not applicable" carry no score;
2. a respondent's determinant score is the weighted mean of their scored answers,
   only when they rated at least half the determinant's items
   (``respondents.respondent_scores`` – stored as DeterminantScore when they finish);
3. the facility's determinant score is the mean of respondent scores, the domain score
   the mean of its scored determinants, the overall score the mean of scored domains;
4. rwg(j) (James, Demaree & Wolf 1984) measures agreement, and role results are shown
   only for groups of at least MIN_GROUP respondents.

All aggregation over answers and respondents happens in SQL; Python only combines the
handful of per-determinant rows that come back. The modules, in the order an answer
passes through them:

* ``rules``: thresholds, bands and the arithmetic (answer score, rwg(j), errors);
* ``respondents``: each respondent's scores, when they finish;
* ``sums``: a round's sums from SQL (what a release keeps), and adding two of them;
* ``history``: earlier rounds and comparing across questionnaire versions;
* ``results``: the result objects pages read (RoundScores and its parts);
* ``assembly``: sums and history into RoundScores.

Everything public is importable from ``readiness.scoring``.
"""

from readiness.scoring.assembly import (
    assemble,
    score_round,
)
from readiness.scoring.history import (
    RoundSummary,
    comparable,
    earlier_rounds,
    in_time_order,
    round_summaries,
)
from readiness.scoring.respondents import (
    respondent_scores,
)
from readiness.scoring.results import (
    Coverage,
    DeterminantResult,
    DomainResult,
    Recommendation,
    RoleResult,
    RoundScores,
    StatementResult,
)
from readiness.scoring.rules import (
    BAND_THRESHOLDS,
    DEVELOPING_FROM,
    FEWER_THAN_MINIMUM,
    FOCUS_SIZE,
    HIGH_DONT_KNOW_FROM,
    LOW_AGREEMENT_BELOW,
    MIN_GROUP,
    STRATEGIES_PER_FOCUS,
    STRENGTH_FROM,
    UNIFORM_NULL_VARIANCE,
    Z_95,
    Banded,
    answer_score,
    band_for,
    mean_or_none,
    rwg_j,
    shown,
    standard_error,
)
from readiness.scoring.sums import (
    ANSWER_GROUPS,
    aggregate,
    answer_group,
    combine,
    empty_aggregates,
)

__all__ = [
    "ANSWER_GROUPS",
    "BAND_THRESHOLDS",
    "Banded",
    "Coverage",
    "DEVELOPING_FROM",
    "DeterminantResult",
    "DomainResult",
    "FEWER_THAN_MINIMUM",
    "FOCUS_SIZE",
    "HIGH_DONT_KNOW_FROM",
    "LOW_AGREEMENT_BELOW",
    "MIN_GROUP",
    "Recommendation",
    "RoleResult",
    "RoundScores",
    "RoundSummary",
    "STRATEGIES_PER_FOCUS",
    "STRENGTH_FROM",
    "StatementResult",
    "UNIFORM_NULL_VARIANCE",
    "Z_95",
    "aggregate",
    "answer_group",
    "answer_score",
    "assemble",
    "band_for",
    "combine",
    "comparable",
    "earlier_rounds",
    "empty_aggregates",
    "in_time_order",
    "mean_or_none",
    "respondent_scores",
    "round_summaries",
    "rwg_j",
    "score_round",
    "shown",
    "standard_error",
]
