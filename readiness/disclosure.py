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
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from readiness import languages
from readiness.models import Facility, Respondent, Round, RoundRelease
from readiness.scoring import (
    FEWER_THAN_MINIMUM,
    RoundScores,
    RoundSummary,
    aggregate,
    assemble,
    earlier_rounds,
    in_time_order,
    mean_or_none,
    standard_error,
)

# Peer benchmarks: a median needs this many peers, quartiles need QUARTILES_FROM.
MEDIAN_FROM = 5
QUARTILES_FROM = 10


class Hidden(models.TextChoices):
    """Why a figure is not shown (the ``suppressed`` values of results.json)."""

    FEWER_THAN_MINIMUM = FEWER_THAN_MINIMUM, _("fewer people than the minimum")
    PROTECTS_SMALLER_GROUP = (
        "protects_smaller_group",
        _("hidden so that a smaller group cannot be worked out from the total"),
    )
    NOT_SHARED = "not_shared", _("not shared with you")
    IN_STEPS = (
        "published_in_steps",
        _("results by role are shown only for results published all at once"),
    )


def min_group(facility: Facility) -> int:
    """The smallest group shown for this facility: the site's setting, or more if the
    facility's owners raised it."""
    return smallest_group(facility.min_group)


def smallest_group(owners_choice: int | None) -> int:
    """min_group() from the facility's ``min_group`` column alone."""
    return max(settings.DISCLOSURE_MIN_GROUP, owners_choice or 0)


def groups_to_hide(counts: dict, minimum: int, *, already=()) -> dict:
    """{group: Hidden reason} for groups (roles, cells) whose results may not be shown.

    Groups under the minimum are hidden; when all hidden groups together hold fewer than
    the minimum (but someone), the smallest shown group is hidden too (one suffices: it
    holds the minimum), so that no hidden group can be worked out by subtracting the
    shown ones from the total. Groups hidden ``already`` (in an earlier version of the
    same results) stay hidden, so that two versions never hide different sets. Ties go
    to the group listed first.
    """
    hidden = dict.fromkeys(already, Hidden.PROTECTS_SMALLER_GROUP)
    hidden.update({group: Hidden.FEWER_THAN_MINIMUM for group, n in counts.items() if n < minimum})
    pool = sum(counts.get(group, 0) for group in hidden)
    shown = sorted((g for g in counts if g not in hidden), key=lambda group: counts[group])
    if 0 < pool < minimum and shown:
        # Every shown group holds at least the minimum, so hiding one is enough.
        hidden[shown[0]] = Hidden.PROTECTS_SMALLER_GROUP
    return hidden


def restrict(
    aggregates: dict,
    *,
    minimum: int,
    role_codes: list[str],
    by_role: bool = True,
    hidden_roles=(),
    routed_items=frozenset(),
    item_determinants=None,
) -> dict:
    """The part of a round's aggregates (scoring.aggregate) that may be shown.

    Hidden determinants keep only ``{"hidden": reason}``; hidden roles get a None count
    and a reason in ``role_hidden``; hidden cells are left out. ``by_role`` False (results
    published in steps): no role's results at all, only how many people each role has,
    hidden by the same rule as roles are. ``hidden_roles``: roles an earlier version of these
    results hid (RoundRelease.merged_roles), which stay hidden. ``routed_items``: codes
    of statements asked of some roles only, never shown for everyone: how many were
    asked them, beside the roles' counts, would tell how many people a hidden role has.
    ``item_determinants``: {item code: determinant code}.
    """
    item_determinants = item_determinants or {}
    n = aggregates["respondents"]
    determinants = aggregates["determinants"]
    if n < minimum:
        return {
            "respondents": n,
            "roles": dict.fromkeys(role_codes),
            "role_hidden": dict.fromkeys(role_codes, Hidden.FEWER_THAN_MINIMUM),
            "determinants": {code: {"hidden": Hidden.FEWER_THAN_MINIMUM} for code in determinants},
            "cells": {},
            "items": {},
            "item_cells": {},
        }
    shown_determinants = {
        code: _with_safe_dont_know(row, code, aggregates, minimum, item_determinants, routed_items)
        if row["scored"] >= minimum
        else {"hidden": Hidden.FEWER_THAN_MINIMUM}
        for code, row in determinants.items()
    }
    counts = {code: aggregates["roles"].get(code, 0) for code in role_codes}
    # Counts are parts of the total too: the roles whose count is hidden hold nobody or
    # at least the minimum, or the total minus the shown counts gives theirs.
    role_hidden = groups_to_hide(counts, minimum, already=hidden_roles)
    if not by_role:
        return {
            "respondents": n,
            "roles": {code: None if code in role_hidden else counts[code] for code in counts},
            "role_hidden": {
                code: str(role_hidden.get(code, Hidden.IN_STEPS)) for code in role_codes
            },
            "determinants": shown_determinants,
            "cells": {},
            # Like results by role, answers per statement only for results published
            # all at once: a step's change in one answer group could be one person.
            "items": {},
            "item_cells": {},
        }
    cells: dict[str, dict] = {code: {} for code in role_codes if code not in role_hidden}
    order = {code: position for position, code in enumerate(role_codes)}
    for determinant, row in shown_determinants.items():
        if "hidden" in row:
            continue
        column = {
            role: aggregates["cells"].get(role, {}).get(determinant, [None, 0]) for role in cells
        }
        scored = {role: cell[1] for role, cell in column.items()}
        # What the column's shown cells leave out must be nobody or enough people.
        left_out = row["scored"] - sum(scored.values())
        hidden = {role for role, k in scored.items() if k < minimum}
        left_out += sum(scored[role] for role in hidden)
        # Ties go to the role listed first, the same on every server process.
        for role in sorted(set(scored) - hidden, key=lambda role: (scored[role], order[role])):
            if not 0 < left_out < minimum:
                break
            hidden.add(role)
            left_out += scored[role]
        for role, cell in column.items():
            if role not in hidden:
                cells[role][determinant] = cell
    # What people answered to each statement: by role when roles are shown, and then
    # never for everyone too, since everyone minus the shown roles would be the hidden
    # roles' answers.
    item_cells = {
        role: _statements(aggregates.get("item_cells", {}).get(role, {}), minimum) for role in cells
    }
    items = {} if cells else _statements(aggregates.get("items", {}), minimum, skip=routed_items)
    # A determinant's don't-know rate, beside statements whose counts are hidden, would
    # give their hidden don't-know answers by subtraction: it is hidden too.
    hiding = {
        item_determinants.get(code)
        for group in [items, *item_cells.values()]
        for code, statement in group.items()
        if None in statement["counts"].values()
    }
    for code in hiding & set(shown_determinants):
        if "hidden" not in shown_determinants[code]:
            shown_determinants[code] = {**shown_determinants[code], "dont_know": None}
    return {
        "respondents": n,
        "roles": {code: None if code in role_hidden else counts[code] for code in role_codes},
        "role_hidden": {code: str(reason) for code, reason in role_hidden.items()},
        "determinants": shown_determinants,
        "cells": cells,
        "items": items,
        "item_cells": item_cells,
    }


def _with_safe_dont_know(row, code, aggregates, minimum, item_determinants, routed_items):
    """A determinant's row with its don't-know rate taken over the statements every role
    is asked, and hidden (None) when one of them was answered by 1 or 2 people: a
    statement asked of managers only, with one manager, would otherwise put that
    manager's "don't know" in the rate."""
    # "7 of 8 people have a score" would say that one person answered too few: the
    # number is shown only when nobody, or at least the minimum, has none.
    unscored = aggregates["respondents"] - row["scored"]
    if 0 < unscored < minimum:
        row = {**row, "scored_hidden": True}
    items = aggregates.get("items")
    if items is None:  # (aggregates from before answers per statement were kept)
        return row
    common = [
        counts
        for item, counts in items.items()
        if item_determinants.get(item) == code and item not in routed_items
    ]
    answered = [sum(counts.values()) for counts in common]
    if any(0 < n < minimum for n in answered):
        return {**row, "dont_know": None}
    return {
        **row,
        "dont_know": sum(counts["dont_know"] for counts in common),
        "answers": sum(answered),
    }


def _statements(counts_by_item: dict, minimum: int, *, skip=frozenset()) -> dict:
    """{item code: {"asked": n, "counts": {answer group: n or None}}} for the items at
    least the minimum answered. A statement's answer groups are shown all together or
    not at all: when any group holds 1 or 2 people (fewer than the minimum), every group
    is hidden, the empty ones too ("hidden" beside a "0" would say that someone, and so
    that few, gave that answer)."""
    shown = {}
    for code, counts in counts_by_item.items():
        if code in skip:
            continue
        asked = sum(counts.values())
        if asked < minimum:
            continue
        small = any(0 < n < minimum for n in counts.values())
        shown[code] = {
            "asked": asked,
            "counts": {group: None if small else n for group, n in counts.items()},
        }
    return shown


# --- Released results ---------------------------------------------------------------


def release_for(round_: Round) -> RoundRelease:
    """The round's published results; made on first need for rounds that have none."""
    from readiness.services.releases import refresh_release

    release = RoundRelease.objects.filter(round=round_).first()
    if release is None:
        return refresh_release(round_id=round_.pk)
    if release.respondents and "items" not in release.aggregates:
        # Published before answers per statement were kept: the same people, counted
        # again with them (their results are unchanged, so nothing new is learned).
        release.set_aggregates(aggregate(round_, published=True))
        release.save(update_fields=["aggregates", "summary", "most_scored"])
    return release


def released_scores(
    round_: Round, *, compare_with_previous: bool = False, with_roles: bool = True
) -> RoundScores:
    """What anyone may see of a round: its published results under the rules above.

    ``with_roles`` False (a partner whose share leaves out results by role): what people
    answered to each statement, which is by role when roles are shown, is left out too.
    """
    from readiness.pages import instrument_structure

    release = release_for(round_)
    minimum = min_group(round_.facility)
    structure = instrument_structure(round_.instrument)
    roles = [role.code for role in structure.roles]
    determinant_codes = {det.pk: det.code for det in structure.determinants}
    history = []
    if compare_with_previous:
        history = in_time_order(released_summaries(earlier_rounds(round_).values("pk")))
    by_role = release.number <= 1  # published in one step (services/releases.py)
    scores = assemble(
        round_,
        restrict(
            release.aggregates,
            minimum=minimum,
            role_codes=roles,
            by_role=by_role,
            hidden_roles=release.merged_roles,
            routed_items={item.code for item in structure.items if item.asked_of},
            item_determinants={
                item.code: determinant_codes[item.determinant_id] for item in structure.items
            },
        ),
        history=history,
        minimum=minimum,
        hidden=Hidden.FEWER_THAN_MINIMUM if release.respondents < minimum else None,
        by_role=by_role,
    )
    if not with_roles:
        for determinant in scores.determinants:
            determinant.statements = [s for s in determinant.statements if s.role is None]
    offered = [language.code for language in languages.offered(round_.instrument)]
    scores.languages = languages_shown(release, minimum, offered=offered)
    return scores


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


def released_summaries(round_ids, *, rounds_read: dict | None = None) -> dict[int, RoundSummary]:
    """Facility-level published results of several rounds (ids, or a queryset of ids), in
    one query; determinants of fewer than the minimum are left out, and so are rounds
    with nothing to show. ``rounds_read``, if given, gets each Round read, by id (with
    its facility and questionnaire), for a caller that shows them."""
    summaries = {}
    rounds = (
        Round.objects.filter(pk__in=round_ids)
        .select_related("release", "facility", "instrument")
        .defer("release__aggregates", "release__merged_roles")
    )
    for round_ in rounds:
        if rounds_read is not None:
            rounds_read[round_.pk] = round_
        try:
            release = round_.release
        except RoundRelease.DoesNotExist:
            release = release_for(round_)  # a round from before releases existed, once
        summary = summarise_release(release, round_)
        if summary is not None:
            summaries[round_.pk] = summary
    return summaries


def summarise_release(release: RoundRelease, round_: Round) -> RoundSummary | None:
    """A round's published facility-level results, or None with nothing to show."""
    return summarise(
        release.summary,
        respondents=release.respondents,
        most_scored=release.most_scored,
        minimum=min_group(round_.facility),
        round_id=round_.pk,
        label=round_.label,
        opened_on=round_.opened_on,
        instrument_version=round_.instrument.version,
    )


def summarise(
    summary: dict, *, respondents: int, most_scored: int, minimum: int, **round_fields
) -> RoundSummary | None:
    """Published facility-level results (RoundRelease.summary, with the release's two
    counts) as they may be shown under this minimum group, or None with nothing to
    show: determinants fewer people than the minimum have a score for are left out,
    and so are their domains' shares. ``round_fields``: RoundSummary's round fields."""
    if not (respondents >= minimum and most_scored >= minimum):  # RoundRelease.has_results
        return None
    result = RoundSummary(
        respondents=respondents,
        roles_with_minimum=frozenset(code for code, n in summary["roles"].items() if n >= minimum),
        **round_fields,
    )
    by_domain: dict[str, list[float]] = {}
    for code, row in summary["determinants"].items():
        if row["scored"] < minimum or row["mean"] is None:
            continue
        result.determinants[code] = row["mean"]
        result.standard_errors[code] = standard_error(row["scored"], row["mean"], row["squares"])
        by_domain.setdefault(row["domain"], []).append(row["mean"])
    if not result.determinants:
        return None
    result.domains = {code: mean_or_none(values) for code, values in by_domain.items()}
    return result


# --- What a reader may see ------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The parts of a round's results a reader may see, beyond the facility level."""

    roles: bool
    strategies: bool
    benchmarks: bool
    # Changes against earlier rounds (a partner shown chosen rounds sees none).
    compare: bool

    @classmethod
    def everything(cls) -> Scope:
        return cls(roles=True, strategies=True, benchmarks=True, compare=True)

    @classmethod
    def for_access(cls, access) -> Scope:
        """From permissions.FacilityAccess: members and network leaders see everything;
        partners what the share includes."""
        if access.reads_all_results:
            return cls.everything()
        share = access.share
        return cls(
            roles=share.include_roles,
            strategies=share.include_strategies,
            benchmarks=False,
            compare=share.all_rounds,
        )


@dataclass(frozen=True)
class ReleaseStatus:
    """Where the published results of a round stand, for "results from 12 people; they
    update when 3 more have finished"."""

    published: int  # respondents in the published results
    # finished, not in them: flagged ones kept out included, so that the number moves
    # the same whether or not someone's response was flagged
    waiting: int
    # The quality checks' counts as of the last update (RoundRelease.flagged, .kept_out):
    # finished responses flagged, and flagged responses left out at the owners' request.
    flagged: int
    excluded: int
    in_progress: int
    minimum: int
    updated_on: object

    @property
    def needed_for_update(self) -> int:
        """More finished respondents needed before the results change."""
        return max(0, self.minimum - self.waiting)


def release_status(round_: Round) -> ReleaseStatus:
    """Two queries: the respondents' counts, and the release."""
    counts = {"waiting": 0, "in_progress": 0}
    # One grouped query (cheaper than filtered counts): a handful of rows per round.
    for status, published, n in (
        Respondent.objects.filter(round=round_)
        .values_list("status", "published")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        if status != Respondent.Status.FINISHED:
            counts["in_progress"] += n
        elif not published:
            counts["waiting"] += n
    # A few small fields, not the release's aggregates: this runs on every dashboard view.
    release = RoundRelease.objects.filter(round=round_).only(
        "respondents", "updated_on", "flagged", "kept_out"
    ).first() or release_for(round_)
    return ReleaseStatus(
        published=release.respondents,
        waiting=counts["waiting"],
        flagged=release.flagged,
        excluded=release.kept_out,
        in_progress=counts["in_progress"],
        minimum=min_group(round_.facility),
        updated_on=release.updated_on,
    )


def round_results(round_: Round, *, scope: Scope) -> dict:
    """results.json for a reader with this scope (and `manage.py scores`, an owner's)."""
    from dataclasses import asdict

    from readiness.benchmarks import benchmarks_for

    scores = released_scores(round_, compare_with_previous=scope.compare, with_roles=scope.roles)
    peers = None
    if scope.benchmarks:
        peers = {
            group: {code: asdict(b) if b else None for code, b in by_code.items()}
            for group, by_code in benchmarks_for(
                round_.facility, instrument=round_.instrument
            ).items()
        }
    return results_json(scores, scope=scope, status=release_status(round_), benchmarks=peers)


def results_json(scores: RoundScores, *, scope: Scope, status: ReleaseStatus, benchmarks=None):
    """A round's results as results.json and `manage.py scores` give them: the schema of
    `scores --unsuppressed`, with null and a ``suppressed`` reason where a figure is
    hidden, and the parts a reader may not see set to null with reason "not_shared"."""

    def r(value, digits):
        return None if value is None else round(value, digits)

    round_ = scores.round
    any_hidden = {
        domain.code: any(d.hidden for d in domain.determinants) for domain in scores.domains
    }
    data = {
        "facility": round_.facility.slug,
        "round": round_.label,
        "round_status": round_.status,
        "minimum_group": scores.minimum,
        "respondents": scores.respondents,
        "updated_on": status.updated_on.isoformat(),
        "waiting": status.waiting,
        "flagged_kept_out": scores.round.exclude_flagged,
        "suppressed": scores.hidden,
        "overall": r(scores.overall, 2),
        "domains": [
            {
                "code": d.code,
                "score": r(d.score, 2),
                "band": d.band,
                "suppressed": Hidden.FEWER_THAN_MINIMUM
                if d.score is None and any_hidden[d.code]
                else None,
            }
            for d in scores.domains
        ],
        "determinants": [
            {
                "code": d.code,
                "domain": domain.code,
                "score": r(d.score, 2),
                "band": d.band,
                "respondents": d.scored_respondents
                if not (d.hidden or d.scored_count_hidden)
                else None,
                "dont_know_rate": r(d.dont_know_rate, 4),
                "agreement_rwg": r(d.agreement_rwg, 4),
                "ci_low": r(d.ci_low, 2),
                "ci_high": r(d.ci_high, 2),
                "suppressed": d.hidden,
            }
            for domain in scores.domains
            for d in domain.determinants
        ],
    }
    # What people answered to each statement (Hidden counts are null): by role when
    # roles are shown, for everyone asked otherwise; "role" null means everyone.
    data["statements"] = [
        {
            "item": s.item.code,
            "determinant": d.code,
            "role": s.role.code if s.role else None,
            "asked": s.asked,
            "counts": s.counts,
        }
        for d in scores.determinants
        for s in d.statements
    ]
    data["roles"], data["roles_suppressed"] = (
        (_roles_json(scores, r), None) if scope.roles else (None, Hidden.NOT_SHARED)
    )
    data["recommendations"], data["recommendations_suppressed"] = (
        (
            [
                {
                    "strategy": rec.strategy.code,
                    "determinants": [d.code for d in rec.determinants],
                    "priority": r(rec.priority, 2),
                }
                for rec in scores.recommendations
            ],
            None,
        )
        if scope.strategies
        else (None, Hidden.NOT_SHARED)
    )
    if scope.benchmarks:
        data["benchmarks"], data["benchmarks_suppressed"] = benchmarks, None
    else:
        data["benchmarks"], data["benchmarks_suppressed"] = None, Hidden.NOT_SHARED
    return data


def _roles_json(scores: RoundScores, r) -> dict:
    """Every role: its count and cells when shown; null and the reason when hidden."""
    rows = {row.role.code: row for row in scores.roles if not row.suppressed}
    return {
        entry.role.code: {
            "respondents": entry.respondents,
            "suppressed": entry.hidden,
            "determinants": (
                {code: r(v, 2) for code, v in rows[entry.role.code].cells.items()}
                if entry.role.code in rows
                else None
            ),
        }
        for entry in scores.coverage
    }


# --- Answer-level data ------------------------------------------------------------------

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
    published = release.aggregates.get("roles", {}).get(role, 0)
    return SMALL_ROLES if role in release.merged_roles or published < minimum else role


# --- How good the questions are ---------------------------------------------------------


@dataclass(frozen=True)
class DeterminantQuality:
    determinant: object  # models.Determinant
    reliability: object | None  # reliability.Reliability; None when hidden
    hidden: str | None = None


def instrument_quality(facilities, instrument) -> list[DeterminantQuality]:
    """Reliability of each determinant of ``instrument`` from the published respondents
    of these facilities' rounds: at least the largest minimum group among them behind
    every figure. Only rounds whose results were published all at once count, and in
    each of them a statement only when at least the minimum answered it: the figures
    change only when a whole round's group joins, never by one person's answers (a
    manager among three people joining a round published in steps, say). One query for
    the answers, whatever their number."""
    import pandas as pd

    from readiness.models import Answer
    from readiness.pages import instrument_structure
    from readiness.reliability import ItemFit, Reliability, reliability

    facilities = list(facilities)
    minimum = largest_minimum(facilities)
    by_round: dict[tuple[int, str], dict[int, float]] = {}
    for round_id, respondent_id, code, kind, value, reverse in Answer.objects.filter(
        respondent__round__facility__in=facilities,
        respondent__round__instrument=instrument,
        respondent__round__release__number__lte=1,
        respondent__published=True,
    ).values_list(
        "respondent__round_id",
        "respondent_id",
        "item__code",
        "kind",
        "value",
        "item__reverse_scored",
    ):
        if kind == Answer.Kind.SCALE:
            point = (5 - value if reverse else value - 1) * 25
        elif kind == Answer.Kind.DONT_KNOW and instrument.dont_know_is_neutral:
            point = 50.0
        else:
            continue
        by_round.setdefault((round_id, code), {})[respondent_id] = point
    # a statement few people of a round rated is left out of that round
    kept = {key: answers for key, answers in by_round.items() if len(answers) >= minimum}
    round_ids = {round_id for round_id, _code in kept}
    by_determinant: dict[int, list] = {}
    for item in instrument_structure(instrument).items:
        by_determinant.setdefault(item.determinant_id, []).append(item)
    rows = []
    for determinant in instrument_structure(instrument).determinants:
        statements = by_determinant.get(determinant.pk, [])
        codes = [item.code for item in statements]
        common = [item.code for item in statements if not item.asked_of]
        points: dict[str, dict[int, float]] = {}
        for round_id in round_ids:
            # A round counts for the determinant only if at least the minimum of its
            # people rated two or more of the common statements (alpha's people): one
            # person rating two, while others rated one each, would move alpha alone.
            rated = Counter(
                respondent for code in common for respondent in kept.get((round_id, code), {})
            )
            if 0 < sum(1 for n in rated.values() if n >= 2) < minimum:
                continue
            for code in codes:
                points.setdefault(code, {}).update(kept.get((round_id, code), {}))
        table = pd.DataFrame({code: points.get(code, {}) for code in codes}, columns=codes)
        result = reliability(table.astype(float), common=common)
        if result.respondents < minimum:
            rows.append(DeterminantQuality(determinant, None, Hidden.FEWER_THAN_MINIMUM))
            continue
        # How many answered a statement asked of some roles only is not shown: those
        # counts, one against another, would give how many people some roles have.
        items = [
            ItemFit(
                code=fit.code,
                item_total=fit.item_total if fit.respondents >= minimum else None,
                respondents=fit.respondents if fit.code in common else None,
                enough=fit.respondents >= minimum,
            )
            for fit in result.items
        ]
        rows.append(
            DeterminantQuality(determinant, Reliability(result.alpha, result.respondents, items))
        )
    return rows


def largest_minimum(facilities) -> int:
    """The smallest group a figure pooled over these facilities may rest on: the largest
    of their minimums (the site's when there are none)."""
    return max(
        [min_group(facility) for facility in facilities], default=settings.DISCLOSURE_MIN_GROUP
    )
