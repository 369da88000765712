"""How good the questions are, from published answers only, with at least the largest
minimum group behind every figure."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from readiness.disclosure.groups import Hidden, largest_minimum


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
        statements = by_determinant[determinant.pk]  # never empty: the loader refuses that
        codes = [item.code for item in statements]
        common = [item.code for item in statements if not item.asked_of]
        points: dict[str, dict[int, float]] = {code: {} for code in codes}
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
                points[code].update(kept.get((round_id, code), {}))
        table = pd.DataFrame(points)
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
