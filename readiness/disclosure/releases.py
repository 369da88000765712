"""Rule 3 of readiness.disclosure: pages show a round's published results (a snapshot
that only grows, in steps of at least the minimum), never its live answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from readiness import languages
from readiness.disclosure.groups import Hidden, min_group, restrict
from readiness.disclosure.language_counts import languages_shown
from readiness.models import Round, RoundRelease
from readiness.scoring import (
    RoundScores,
    RoundSummary,
    aggregate,
    assemble,
    earlier_rounds,
    in_time_order,
    mean_or_none,
    standard_error,
)

if TYPE_CHECKING:
    from readiness.disclosure.readers import Scope


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


def released_scores(round_: Round, *, scope: Scope) -> RoundScores:
    """What a reader may see of a round: its published results under the rules above,
    compared with earlier rounds when ``scope.compare``.

    Without ``scope.roles`` (a partner whose share leaves out results by role): what
    people answered to each statement, which is by role when roles are shown, is left
    out too.
    """
    from readiness.pages import instrument_structure

    release = release_for(round_)
    minimum = min_group(round_.facility)
    structure = instrument_structure(round_.instrument)
    roles = [role.code for role in structure.roles]
    determinant_codes = {det.pk: det.code for det in structure.determinants}
    history = []
    if scope.compare:
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
    )
    scores.by_role = by_role
    if not scope.roles:
        for determinant in scores.determinants:
            determinant.statements = [s for s in determinant.statements if s.role is None]
    offered = [language.code for language in languages.offered(round_.instrument)]
    scores.languages = languages_shown(release, minimum, offered=offered)
    return scores


def released_summaries(round_ids) -> dict[int, RoundSummary]:
    """Facility-level published results of several rounds (ids, or a queryset of ids), in
    one query; determinants of fewer than the minimum are left out, and so are rounds
    with nothing to show."""
    summaries = {}
    rounds = (
        Round.objects.filter(pk__in=round_ids)
        .select_related("release", "facility", "instrument")
        .defer("release__aggregates", "release__merged_roles")
    )
    for round_ in rounds:
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
