"""How many people answered in each language: shown under the rules of the counts by role,
and withdrawn for good where a later version would reveal what an earlier one hid."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from readiness.disclosure.groups import Hidden, groups_to_hide
from readiness.models import RoundRelease


@dataclass(frozen=True)
class LanguageCount:
    code: str
    respondents: int | None  # None when hidden
    fewer_than_minimum: bool = False

    @property
    def name(self) -> str:
        return dict(settings.LANGUAGES).get(self.code, self.code)


# In RoundRelease.hidden_languages: the counts by language are not shown at all.
LANGUAGES_WITHDRAWN = "*"


def languages_shown(release: RoundRelease, minimum: int, *, offered: list[str]):
    """How many people in the published results answered online in each language the
    questionnaire ``offered``, hidden as the roles' counts are (``groups_to_hide``, with
    the languages an earlier version hid): the language someone answered in may say
    where they come from, so a language of one or two people is never shown, nor worked
    out from the others. Every offered language has a row, used or not, so that a hidden
    count never tells that someone used it. People imported from a file, whose language
    is not recorded, are left out: owners know how many they imported, so they may not
    stand in for a small group. Empty while the results, or the people in them who
    answered online, are fewer than the minimum, once the counts
    are withdrawn (``language_hiding``), and for results published before languages
    were counted."""
    counts = release.aggregates.get("languages")
    if (
        counts is None
        or release.respondents < minimum
        or sum(counts.values()) != release.respondents
        or LANGUAGES_WITHDRAWN in release.hidden_languages
    ):
        return []
    online = {code: counts.get(code, 0) for code in offered}
    if sum(online.values()) < minimum:
        return []  # answered mostly on paper: nothing to tell
    hidden = groups_to_hide(online, minimum, already=release.hidden_languages)
    return [
        LanguageCount(
            code=code,
            respondents=None if code in hidden else online[code],
            fewer_than_minimum=hidden.get(code) == Hidden.FEWER_THAN_MINIMUM,
        )
        for code in offered
    ]


def language_hiding(counts: dict, minimum: int, *, already, shown_before) -> list[str]:
    """The languages whose counts a new version of a round's results hides, kept in
    RoundRelease.hidden_languages: those ``groups_to_hide`` hides among the languages
    people answered in online (a language hidden ``already`` stays hidden).

    Should that hide a count an earlier version showed (``shown_before``) while another
    count is still shown, the two versions together could give away the group it
    protects ({en 10, es 3}, then {en 12, es 3, pt 1} hiding es and pt: es was 3, so pt
    is 1), so the counts are withdrawn for good (LANGUAGES_WITHDRAWN). With two
    languages that never happens: protecting one hides the other too, and both stay
    hidden, so there is nothing left to subtract."""
    if LANGUAGES_WITHDRAWN in already:
        return [LANGUAGES_WITHDRAWN]
    used = {code: n for code, n in counts.items() if code and n}
    hidden = groups_to_hide(used, minimum, already=already)
    if set(hidden) & set(shown_before) and set(used) - set(hidden):
        return [LANGUAGES_WITHDRAWN]
    return sorted(hidden)
