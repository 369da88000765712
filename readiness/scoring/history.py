"""Earlier rounds: summaries of several rounds at once, which rounds came before one,
and how a round of another questionnaire version compares (trends, peers, networks)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from statistics import fmean

from django.db.models import Avg, Count, F, Sum

from readiness.models import DeterminantScore, Respondent, Round
from readiness.pages import instrument_by_version, instrument_structure
from readiness.scoring.rules import mean_or_none, standard_error


def _finished_scores(round_ids):
    return DeterminantScore.objects.filter(
        respondent__round_id__in=round_ids, respondent__status=Respondent.Status.FINISHED
    )


@dataclass
class RoundSummary:
    """Facility-level scores of a round, keyed by code so that rounds answered on
    different instrument versions can be compared determinant by determinant."""

    round_id: int = 0
    label: str = ""
    opened_on: object = None
    instrument_version: str = ""
    determinants: dict[str, float] = field(default_factory=dict)
    standard_errors: dict[str, float | None] = field(default_factory=dict)
    domains: dict[str, float] = field(default_factory=dict)
    # finished respondents behind it (published ones, for a release)
    respondents: int = 0
    # codes of the roles with at least the minimum group among them
    roles_with_minimum: frozenset[str] = frozenset()

    @property
    def overall(self) -> float | None:
        return mean_or_none(self.domains.values())


def round_summaries(round_ids) -> dict[int, RoundSummary]:
    """Summaries of several rounds (ids, or a queryset of ids) from one grouped query.

    Rounds without a finished respondent are left out.
    """
    rows = (
        _finished_scores(round_ids)
        .values(
            "respondent__round_id",
            "respondent__round__label",
            "respondent__round__opened_on",
            "respondent__round__instrument__version",
            "determinant__code",
            "determinant__domain__code",
        )
        .annotate(
            scored=Count("score"),
            mean_score=Avg("score"),
            squares=Sum(F("score") * F("score")),
        )
        .order_by()
    )
    by_domain: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    summaries: dict[int, RoundSummary] = defaultdict(RoundSummary)
    for row in rows:
        if row["mean_score"] is None:
            continue
        round_id = row["respondent__round_id"]
        summary = summaries[round_id]
        summary.round_id = round_id
        summary.label = row["respondent__round__label"]
        summary.opened_on = row["respondent__round__opened_on"]
        summary.instrument_version = row["respondent__round__instrument__version"]
        summary.determinants[row["determinant__code"]] = row["mean_score"]
        summary.standard_errors[row["determinant__code"]] = standard_error(
            row["scored"], row["mean_score"], row["squares"]
        )
        by_domain[round_id][row["determinant__domain__code"]].append(row["mean_score"])
    for round_id, domains in by_domain.items():
        summaries[round_id].domains = {code: fmean(v) for code, v in domains.items()}
    return dict(summaries)


def in_time_order(summaries: dict[int, RoundSummary]) -> list[RoundSummary]:
    return sorted(summaries.values(), key=lambda summary: (summary.opened_on, summary.round_id))


def earlier_rounds(round_: Round):
    """The facility's rounds opened before this one, most recent first."""
    return (
        Round.objects.filter(facility_id=round_.facility_id, opened_on__lte=round_.opened_on)
        .exclude(pk=round_.pk)
        .exclude(opened_on=round_.opened_on, pk__gt=round_.pk)
        .order_by("-opened_on", "-pk")
    )


def comparable(summary: RoundSummary, instrument) -> RoundSummary:
    """A round's summary in the terms of another instrument version.

    Rounds of the same version compare as they are. A round of another version keeps
    only the determinants whose meaning carried over between the two
    (``carries_over_from`` of the newer one), under ``instrument``'s codes; its domains
    and overall score, made of other determinants, are not comparable and are left out.
    Used by trends, peer comparisons and the network's comparison of its sites.
    """
    if summary.instrument_version == instrument.version:
        return summary
    source = instrument_by_version(summary.instrument_version)
    if (source.loaded_at, source.pk) < (instrument.loaded_at, instrument.pk):
        newer = instrument_structure(instrument)
        code_in = {d.carries_over_from: d.code for d in newer.determinants if d.carries_over_from}
    else:
        newer = instrument_structure(source)
        code_in = {d.code: d.carries_over_from for d in newer.determinants if d.carries_over_from}
    return replace(
        summary,
        determinants={
            code_in[code]: value for code, value in summary.determinants.items() if code in code_in
        },
        standard_errors={
            code_in[code]: value
            for code, value in summary.standard_errors.items()
            if code in code_in
        },
        domains={},
    )
