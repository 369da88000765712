"""From sums to results: ``assemble`` turns a round's sums (and earlier rounds'
summaries) into RoundScores; ``score_round`` does it from the live answers."""

from __future__ import annotations

import math

from readiness.models import Round
from readiness.pages import instrument_structure
from readiness.scoring.history import (
    RoundSummary,
    comparable,
    earlier_rounds,
    in_time_order,
    round_summaries,
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
from readiness.scoring.rules import FEWER_THAN_MINIMUM, MIN_GROUP, Z_95, standard_error
from readiness.scoring.sums import ANSWER_GROUPS, aggregate


def assemble(
    round_: Round,
    aggregates: dict,
    *,
    history: list[RoundSummary],
    minimum: int = MIN_GROUP,
    hidden: str | None = None,
) -> RoundScores:
    """Every result of a round from its aggregates (no query beyond the instrument's
    structure, which is read once per process).

    Determinants that readiness.disclosure hid carry ``"hidden"`` instead of sums; roles it
    hid have a None count in ``roles`` and a reason in ``role_hidden``; cells it hid are
    absent. Cells of fewer than MIN_GROUP people are always hidden (today's operator
    view keeps that rule too). ``history``: the earlier rounds' summaries, oldest first,
    the last being the previous round; empty when not comparing.
    """
    structure = instrument_structure(round_.instrument)
    history = [comparable(summary, round_.instrument) for summary in history]
    previous_summary = history[-1] if history else None

    results: dict[int, DeterminantResult] = {}
    domains: dict[int, DomainResult] = {}
    for det in structure.determinants:
        row = aggregates["determinants"].get(det.code)
        shown = row is not None and "hidden" not in row
        answers = row["answers"] if shown else 0
        result = DeterminantResult(
            determinant=det,
            score=row["mean"] if shown else None,
            dont_know_rate=(
                (row["dont_know"] / answers) if answers and row["dont_know"] is not None else None
            ),
            agreement_rwg=row.get("rwg") if shown else None,
            scored_respondents=row["scored"] if shown else 0,
            scored_count_hidden=bool(row.get("scored_hidden")) if shown else False,
            standard_error=(
                standard_error(row["scored"], row["mean"], row["squares"]) if shown else None
            ),
            hidden=row.get("hidden") if row else None,
        )
        if previous_summary is not None and result.score is not None:
            before = previous_summary.determinants.get(det.code)
            if before is not None:
                result.change = result.score - before
                errors = (result.standard_error, previous_summary.standard_errors.get(det.code))
                if None not in errors:
                    result.change_noise = Z_95 * math.hypot(*errors)
        results[det.pk] = result
        domains.setdefault(
            det.domain_id, DomainResult(code=det.domain.code, name=det.domain.name, determinants=[])
        ).determinants.append(result)

    _attach_statements(
        results, structure, aggregates, with_not_applicable=round_.instrument.offers_not_applicable
    )

    recommendations: dict[int, Recommendation] = {}
    for strategy, determinant_id in structure.links:
        determinant = results[determinant_id]  # links stay within one instrument
        determinant.strategies.append(strategy)
        if determinant.needs_work:
            recommendations.setdefault(
                strategy.pk, Recommendation(strategy=strategy, determinants=[])
            ).determinants.append(determinant)

    ranked = sorted(recommendations.values(), key=lambda rec: (-rec.priority, rec.strategy.code))
    rank = {rec.strategy.pk: position for position, rec in enumerate(ranked)}
    for result in results.values():
        # A determinant lists its strategies most recommended first.
        result.strategies.sort(key=lambda strategy: rank.get(strategy.pk, len(rank)))

    counts, cells_by_role = aggregates["roles"], aggregates["cells"]
    role_hidden = aggregates.get("role_hidden", {})  # (disclosure.restrict's only)
    role_results, coverage = [], []
    for role in structure.roles:
        n = counts.get(role.code, 0)  # None: readiness.disclosure hides how many, and says why
        reason = role_hidden.get(role.code)
        if reason is None and n < minimum:
            reason = FEWER_THAN_MINIMUM
        coverage.append(
            Coverage(
                role=role,
                respondents=n,
                fewer_than_minimum=reason == FEWER_THAN_MINIMUM,
                hidden=reason,
            )
        )
        if not n:  # nobody, or a number readiness.disclosure hides: no row of results
            continue
        role_cells = cells_by_role.get(role.code, {})
        cells = (
            {}
            if reason
            else {det.code: _cell(role_cells.get(det.code)) for det in structure.determinants}
        )
        role_results.append(RoleResult(role=role, respondents=n, cells=cells, hidden=reason))

    return RoundScores(
        round=round_,
        respondents=aggregates["respondents"],
        domains=list(domains.values()),
        roles=role_results,
        recommendations=ranked,
        coverage=coverage,
        previous_label=previous_summary.label if previous_summary else None,
        history=history,
        previous_overall=previous_summary.overall if previous_summary else None,
        minimum=minimum,
        hidden=hidden,
    )


def _attach_statements(
    results: dict, structure, aggregates: dict, *, with_not_applicable: bool
) -> None:
    """Each determinant's statements as the aggregates give them: disclosure.restrict's
    {"asked", "counts"}, or the operator's raw counts."""

    def shaped(entry):
        if "asked" in entry:
            return entry["asked"], entry["counts"]
        return sum(entry.values()), entry

    groups_shown = ANSWER_GROUPS if with_not_applicable else ANSWER_GROUPS[:-1]
    roles = {role.code: role for role in structure.roles}
    everyone, by_role = aggregates["items"], aggregates["item_cells"]
    for item in structure.items:
        result = results[item.determinant_id]
        groups = [(None, everyone.get(item.code))]
        groups += [(roles[code], cells.get(item.code)) for code, cells in by_role.items()]
        for role, entry in groups:
            if entry:
                asked, counts = shaped(entry)
                result.statements.append(
                    StatementResult(
                        item=item,
                        role=role,
                        asked=asked,
                        counts=counts,
                        # every group is there, 0s included
                        columns=[counts[group] for group in groups_shown],
                    )
                )


def score_round(round_: Round, *, compare_with_previous: bool = False) -> RoundScores:
    """The operator's full figures for one round, from every finished respondent, with
    no disclosure rule beyond hiding role cells under MIN_GROUP (`manage.py scores
    --unsuppressed`). Pages never show these: they show disclosure.released_scores().

    Costs a fixed number of queries whatever the number of respondents: 5, plus 1 when
    comparing with earlier rounds (the instrument's structure is read once per process).
    """
    history: list[RoundSummary] = []
    if compare_with_previous:
        # every earlier round's summary, in one query: the latest one with results is
        # "the previous round"; all of them make the trend.
        history = in_time_order(round_summaries(earlier_rounds(round_).values("pk")))
    return assemble(round_, aggregate(round_), history=history)


def _cell(aggregate: tuple[float | None, int] | None) -> float | None:
    """A role's determinant score, hidden when fewer than MIN_GROUP respondents have one."""
    if aggregate is None:
        return None
    score, scored = aggregate
    return score if scored >= MIN_GROUP else None
