"""What may leave the server: the one place that decides which numbers computed from
respondents' answers anyone sees (docs/privacy.md explains the rules in plain words).

Every page, chart, table, download and JSON that shows results gets them from here:

1. Minimum group. Nothing is computed from fewer than ``min_group()`` respondents: not a
   round, a determinant, a role or one of its cells.
2. No subtraction. Wherever a total and its parts are both shown, the hidden parts
   together hold at least the minimum too, or nobody (``groups_to_hide``): more roles,
   or more cells of a column, are hidden, smallest first. Hidden counts are not shown.
3. No differencing over time. Pages show a round's published results, a snapshot that
   only grows, in steps of at least the minimum number of people for every figure shown
   (services/releases.py keeps it), so no one's answers show in a before/after. Results
   by role only for results published in one step.
4. Answer-level data, one row per respondent, is for owners, or a network the owners
   allowed, with fresh random ids and small roles merged (``answer_level_role``).
5. Peer benchmarks come from verified, independent facilities only (benchmarks.py, with
   the thresholds below).

The operator's full figures (``manage.py scores --unsuppressed``) are scoring.score_round,
which no page calls.

The modules: ``groups`` (rules 1 and 2, and the peer thresholds of rule 5), ``releases``
(rule 3), ``language_counts`` (who answered in which language), ``readers`` (what each
reader's access opens, and results.json), ``answers`` (rule 4), ``quality`` (how good
the questions are). Everything public is importable from ``readiness.disclosure``.
"""

from readiness.disclosure.answers import (
    SMALL_ROLES,
    answer_level_role,
    merged_roles,
)
from readiness.disclosure.groups import (
    MEDIAN_FROM,
    QUARTILES_FROM,
    Hidden,
    groups_to_hide,
    largest_minimum,
    min_group,
    restrict,
    smallest_group,
)
from readiness.disclosure.language_counts import (
    LANGUAGES_WITHDRAWN,
    LanguageCount,
    language_hiding,
    languages_shown,
)
from readiness.disclosure.quality import (
    DeterminantQuality,
    instrument_quality,
)
from readiness.disclosure.readers import (
    ReleaseStatus,
    Scope,
    release_status,
    results_json,
    round_results,
)
from readiness.disclosure.releases import (
    release_for,
    released_scores,
    released_summaries,
    summarise,
    summarise_release,
)

__all__ = [
    "DeterminantQuality",
    "Hidden",
    "LANGUAGES_WITHDRAWN",
    "LanguageCount",
    "MEDIAN_FROM",
    "QUARTILES_FROM",
    "ReleaseStatus",
    "SMALL_ROLES",
    "Scope",
    "answer_level_role",
    "groups_to_hide",
    "instrument_quality",
    "language_hiding",
    "languages_shown",
    "largest_minimum",
    "merged_roles",
    "min_group",
    "release_for",
    "release_status",
    "released_scores",
    "released_summaries",
    "restrict",
    "results_json",
    "round_results",
    "smallest_group",
    "summarise",
    "summarise_release",
]
