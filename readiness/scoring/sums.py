"""A round's sums, from SQL, as plain JSON-ready data keyed by code: what releases keep
and results are assembled from, and how two sets of sums add up."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, F, Sum

from readiness.models import Answer, DeterminantScore, Respondent, Round
from readiness.pages import instrument_structure
from readiness.scoring.rules import rwg_j


def aggregate(round_: Round, *, published: bool = False, respondent_ids=None) -> dict:
    """The round's sums, from SQL, as plain JSON-ready data keyed by code.

    ``published`` True: over the respondents in the round's published results;
    ``respondent_ids``: over these respondents of the round only (people joining the
    published results, added to them by ``combine``); neither: over every finished
    respondent (the operator's view). Five grouped queries whatever the number of
    respondents, none for an empty list of ids. Nothing here decides what may be shown:
    readiness.disclosure does, from this.

    Beside the figures, ``sums`` keeps what makes them additive (totals of scores and
    of ratings), so that the aggregates of two sets of people combine without reading
    either set's answers again.
    """
    structure = instrument_structure(round_.instrument)
    if respondent_ids is not None:
        respondent_ids = list(respondent_ids)
        if not respondent_ids:
            return empty_aggregates()
        in_set = {"pk__in": respondent_ids}
    elif published:
        in_set = {"published": True}
    else:
        in_set = {"status": Respondent.Status.FINISHED}
    role_code = {role.pk: role.code for role in structure.roles}
    determinant_code = {det.pk: det.code for det in structure.determinants}
    domain_code = {det.code: det.domain.code for det in structure.determinants}
    item_code = {item.pk: item.code for item in structure.items}
    respondents = Respondent.objects.filter(round=round_, **in_set)
    through_respondent = {"respondent__in": respondents.values("pk")}
    # 1. respondents of the set per role, and per language they answered in
    roles: dict[str, int] = defaultdict(int)
    languages: dict[str, int] = defaultdict(int)
    for row in respondents.values("role_id", "language").annotate(n=Count("id")).order_by():
        roles[role_code[row["role_id"]]] += row["n"]
        languages[row["language"]] += row["n"]
    roles, languages = dict(roles), dict(languages)
    scores = DeterminantScore.objects.filter(**through_respondent)
    # 2. per determinant: people with a score, their scores' total and squares, answers
    # and don't-knows
    determinants, totals = {}, {}
    for row in (
        scores.values("determinant_id")
        .annotate(
            scored=Count("score"),
            total=Sum("score"),
            squares=Sum(F("score") * F("score")),
            answer_count=Sum("answers"),
            dont_know_count=Sum("dont_know"),
        )
        .order_by()
    ):
        code = determinant_code[row["determinant_id"]]
        determinants[code] = {
            "domain": domain_code[code],
            "scored": row["scored"],
            "squares": row["squares"],
            # sums of columns that are never NULL, over at least one row: never None
            "answers": row["answer_count"],
            "dont_know": row["dont_know_count"],
        }
        totals[code] = row["total"] or 0.0
    # 3. per item: how many rated it 1-5, the ratings' total and squares (for rwg(j))
    ratings: dict[str, dict[str, list]] = defaultdict(dict)
    for row in (
        Answer.objects.filter(kind=Answer.Kind.SCALE, **through_respondent)
        .values("item_id", "item__determinant_id")
        # Sums rather than Variance(): SQLite's VAR_SAMP fails on a single value, and
        # integer sums give the exact sample variance on both databases, and add up.
        .annotate(n=Count("id"), total=Sum("value"), squares=Sum(F("value") * F("value")))
        .order_by()
    ):
        determinant = determinant_code[row["item__determinant_id"]]
        ratings[determinant][item_code[row["item_id"]]] = [row["n"], row["total"], row["squares"]]
    # 4. per role and determinant: people with a score and their scores' total
    cells: dict[str, dict[str, list]] = defaultdict(dict)
    cell_totals: dict[str, dict[str, float]] = defaultdict(dict)
    for row in (
        scores.values("respondent__role_id", "determinant_id")
        .annotate(scored=Count("score"), total=Sum("score"))
        .order_by()
    ):
        role, code = role_code[row["respondent__role_id"]], determinant_code[row["determinant_id"]]
        cells[role][code] = [None, row["scored"]]
        cell_totals[role][code] = row["total"] or 0.0
    # 5. per item, and per role and item: how many gave each kind of answer
    items: dict[str, dict[str, int]] = {}
    item_cells: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    for role_id, item_id, kind, value, n in (
        Answer.objects.filter(**through_respondent)
        .values_list("respondent__role_id", "item_id", "kind", "value")
        .annotate(n=Count("id"))
        .order_by()
    ):
        answer = answer_group(kind, value)
        for counts in (
            items.setdefault(item_code[item_id], dict.fromkeys(ANSWER_GROUPS, 0)),
            item_cells[role_code[role_id]].setdefault(
                item_code[item_id], dict.fromkeys(ANSWER_GROUPS, 0)
            ),
        ):
            counts[answer] += n
    return _with_means(
        {
            "respondents": sum(roles.values()),
            "roles": roles,
            "languages": languages,
            "determinants": determinants,
            "cells": dict(cells),
            "items": items,
            "item_cells": dict(item_cells),
            "sums": {
                "determinants": totals,
                "cells": dict(cell_totals),
                "ratings": dict(ratings),
            },
        }
    )


def empty_aggregates() -> dict:
    """The aggregates of nobody."""
    return {
        "respondents": 0,
        "roles": {},
        "languages": {},
        "determinants": {},
        "cells": {},
        "items": {},
        "item_cells": {},
        "sums": {"determinants": {}, "cells": {}, "ratings": {}},
    }


def combine(base: dict, extra: dict) -> dict:
    """The aggregates of two sets of a round's respondents with nobody in common, from
    each set's aggregates (both with ``sums``): counts and totals add up, and means,
    agreement and the rest follow from them. What a round's published results grow by
    when people join them (services/releases.py), without reading anyone's answers
    again."""

    def add_counts(a: dict, b: dict) -> dict:
        return {key: a.get(key, 0) + b.get(key, 0) for key in a.keys() | b.keys()}

    def add_nested(a: dict, b: dict, add) -> dict:
        return {key: add(a.get(key, {}), b.get(key, {})) for key in a.keys() | b.keys()}

    determinants = {}
    for code in base["determinants"].keys() | extra["determinants"].keys():
        rows = [
            row for row in (base["determinants"].get(code), extra["determinants"].get(code)) if row
        ]
        squares = [row["squares"] for row in rows if row["squares"] is not None]
        determinants[code] = {
            "domain": rows[0]["domain"],
            "scored": sum(row["scored"] for row in rows),
            "squares": sum(squares) if squares else None,
            "answers": sum(row["answers"] for row in rows),
            "dont_know": sum(row["dont_know"] for row in rows),
        }
    cells = add_nested(
        base["cells"],
        extra["cells"],
        lambda a, b: {
            code: [None, (a.get(code) or [None, 0])[1] + (b.get(code) or [None, 0])[1]]
            for code in a.keys() | b.keys()
        },
    )
    base_sums, extra_sums = base["sums"], extra["sums"]
    return _with_means(
        {
            "respondents": base["respondents"] + extra["respondents"],
            "roles": add_counts(base["roles"], extra["roles"]),
            # Results kept, with nobody in them, before languages were counted have none
            # (migration 0026 counted them for the others).
            "languages": add_counts(base.get("languages", {}), extra["languages"]),
            "determinants": determinants,
            "cells": cells,
            "items": add_nested(base["items"], extra["items"], add_counts),
            "item_cells": add_nested(
                base["item_cells"],
                extra["item_cells"],
                lambda a, b: add_nested(a, b, add_counts),
            ),
            "sums": {
                "determinants": add_counts(base_sums["determinants"], extra_sums["determinants"]),
                "cells": add_nested(base_sums["cells"], extra_sums["cells"], add_counts),
                "ratings": add_nested(
                    base_sums["ratings"],
                    extra_sums["ratings"],
                    lambda a, b: {
                        item: [
                            x + y
                            for x, y in zip(
                                a.get(item, (0, 0, 0)), b.get(item, (0, 0, 0)), strict=True
                            )
                        ]
                        for item in a.keys() | b.keys()
                    },
                ),
            },
        }
    )


def _with_means(aggregates: dict) -> dict:
    """Aggregates with the figures that follow from their sums: each determinant's and
    each cell's mean score, and each determinant's agreement, rwg(j), from the sample
    variance of each of its statements rated by at least two people."""
    sums = aggregates["sums"]
    for code, row in aggregates["determinants"].items():
        row["mean"] = sums["determinants"][code] / row["scored"] if row["scored"] else None
        variances = [
            (squares - total**2 / n) / (n - 1)
            for n, total, squares in sums["ratings"].get(code, {}).values()
            if n >= 2
        ]
        if variances:
            row["rwg"] = rwg_j(variances)
    for role, row in aggregates["cells"].items():
        for code, cell in row.items():
            cell[0] = sums["cells"][role][code] / cell[1] if cell[1] else None
    return aggregates


# What people answered to one statement, in the groups the dashboard shows.
ANSWER_GROUPS = ("agree", "neutral", "disagree", "dont_know", "not_applicable")


def answer_group(kind: str, value: int | None) -> str:
    if kind == Answer.Kind.DONT_KNOW:
        return "dont_know"
    if kind == Answer.Kind.NOT_APPLICABLE:
        return "not_applicable"
    return "agree" if value >= 4 else "neutral" if value == 3 else "disagree"
