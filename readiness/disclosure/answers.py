"""Rule 4 of readiness.disclosure: answer-level data, one row per respondent, carries
small roles merged."""

from __future__ import annotations

from readiness.disclosure.groups import groups_to_hide
from readiness.models import RoundRelease

# The role value of respondents whose role is too small to name in answer-level data. Role
# codes are slugs, so no real role can be called this.
SMALL_ROLES = "small roles"


def merged_roles(counts: dict[str, int], minimum: int, *, already=()) -> list[str]:
    """The roles a round's answer-level data merges into SMALL_ROLES (rule 4), from its
    published respondents per role: the roles whose counts ``groups_to_hide`` hides.
    Roles merged ``already`` stay merged, so that the rows two downloads both call
    "small roles" are never fewer than the minimum; pages hide the same roles' counts
    (``restrict``), so no two versions of a round's results hide different roles."""
    return sorted(groups_to_hide(counts, minimum, already=already))


def answer_level_role(role: str, release: RoundRelease, minimum: int) -> str:
    """The role value a respondent of this round carries in answer-level data: the role,
    or SMALL_ROLES for a merged role or one with fewer than the minimum published."""
    published = release.aggregates["roles"].get(role, 0)
    return SMALL_ROLES if role in release.merged_roles or published < minimum else role
