"""Each respondent's determinant scores, written once when they finish
(DeterminantScore), so that results aggregate a small table instead of every answer."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Case, Count, F, Q, Sum, Value, When

from readiness.models import Answer, DeterminantScore, Item, Respondent


def respondent_scores(respondent_ids: list[int]) -> list[DeterminantScore]:
    """Unsaved DeterminantScore rows for these respondents, one per determinant they answered.

    One grouped query over their answers; the half-the-items rule is then applied to
    each (respondent, determinant) row, counting the items asked of the respondent's
    role. "Don't know" is left out, or counts as the neutral middle (50) where the
    instrument says so (docs/scoring.md).
    """
    neutral_dont_know = Q(
        kind=Answer.Kind.DONT_KNOW, respondent__round__instrument__dont_know_is_neutral=True
    )
    scored = Q(kind=Answer.Kind.SCALE) | neutral_dont_know
    points = Case(
        When(neutral_dont_know, then=Value(50)),
        When(item__reverse_scored=True, then=(5 - F("value")) * 25),
        default=(F("value") - 1) * 25,
    )
    rows = (
        Answer.objects.filter(respondent_id__in=respondent_ids)
        .values("respondent_id", "item__determinant_id")
        .annotate(
            answers=Count("id"),
            dont_know=Count("id", filter=Q(kind=Answer.Kind.DONT_KNOW)),
            rated=Count("id", filter=scored),
            weighted_points=Sum(points * F("item__weight"), filter=scored),
            weights=Sum("item__weight", filter=scored),
        )
        .order_by()
    )
    rows = list(rows)
    role_of = dict(Respondent.objects.filter(pk__in=respondent_ids).values_list("pk", "role__code"))
    asked: dict[int, list[list[str]]] = defaultdict(list)
    for determinant_id, asked_of in Item.objects.filter(
        determinant_id__in={row["item__determinant_id"] for row in rows}
    ).values_list("determinant_id", "asked_of"):
        asked[determinant_id].append(asked_of)

    def items_asked(determinant_id: int, role: str) -> int:
        return sum(1 for roles in asked[determinant_id] if not roles or role in roles)

    result = []
    for row in rows:
        determinant_id = row["item__determinant_id"]
        role = role_of[row["respondent_id"]]
        enough = row["rated"] * 2 >= items_asked(determinant_id, role)
        result.append(
            DeterminantScore(
                respondent_id=row["respondent_id"],
                determinant_id=determinant_id,
                score=row["weighted_points"] / row["weights"] if enough else None,
                answers=row["answers"],
                dont_know=row["dont_know"],
            )
        )
    return result
