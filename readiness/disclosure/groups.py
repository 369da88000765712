"""Rules 1 and 2 of readiness.disclosure: nothing from fewer than the minimum group, and no
hidden group worked out by subtracting the shown ones from a total; the peer thresholds of
rule 5."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from readiness.models import Facility
from readiness.scoring import (
    FEWER_THAN_MINIMUM,
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


def largest_minimum(facilities) -> int:
    """The smallest group a figure pooled over these facilities may rest on: the largest
    of their minimums (the site's when there are none)."""
    return max(
        [min_group(facility) for facility in facilities], default=settings.DISCLOSURE_MIN_GROUP
    )


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
        # Every shown cell holds at least the minimum, so hiding the smallest is enough.
        # Ties go to the role listed first, the same on every server process.
        smallest = sorted(set(scored) - hidden, key=lambda role: (scored[role], order[role]))
        if 0 < left_out < minimum and smallest:
            hidden.add(smallest[0])
        for role, cell in column.items():
            if role not in hidden:
                cells[role][determinant] = cell
    # What people answered to each statement: by role when roles are shown, and then
    # never for everyone too, since everyone minus the shown roles would be the hidden
    # roles' answers.
    item_cells = {
        role: _statements(aggregates["item_cells"].get(role, {}), minimum) for role in cells
    }
    items = {} if cells else _statements(aggregates["items"], minimum, skip=routed_items)
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
    common = [
        counts
        for item, counts in aggregates["items"].items()
        if item_determinants.get(item) == code and item not in routed_items
    ]
    # (a statement nobody answered is not listed: every n here is at least 1)
    answered = [sum(counts.values()) for counts in common]
    if any(n < minimum for n in answered):
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
