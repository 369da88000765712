"""Scoring rules (reads only; docs/scoring.md explains them for users).

Following organisational readiness instruments such as ORCA and ORIC, each respondent
is scored first, respondents are then aggregated, and their agreement is checked
before the aggregate is trusted:

1. an answer 1-5 becomes (v-1)*25 on 0-100, or (5-v)*25 for a reverse-scored item;
   "don't know" and "not applicable" carry no score;
2. a respondent's determinant score is the weighted mean of their scored answers,
   only when they rated at least half the determinant's items
   (``respondent_scores`` – stored as DeterminantScore when they finish);
3. the facility's determinant score is the mean of respondent scores, the domain score
   the mean of its scored determinants, the overall score the mean of scored domains;
4. rwg(j) (James, Demaree & Wolf 1984) measures agreement, and role results are shown
   only for groups of at least MIN_GROUP respondents.

All aggregation over answers and respondents happens in SQL; Python only combines the
handful of per-determinant rows that come back.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from statistics import fmean

from django.db.models import Avg, Case, Count, F, Q, Sum, Value, When

from readiness.models import (
    Answer,
    Band,
    Determinant,
    DeterminantScore,
    Item,
    Respondent,
    Role,
    Round,
    Strategy,
)

STRENGTH_FROM = 75.0
DEVELOPING_FROM = 50.0
BAND_THRESHOLDS = (DEVELOPING_FROM, STRENGTH_FROM)
# Smallest group whose results are shown on their own; smaller groups are only pooled.
# The operator's unsuppressed figures use it; pages use disclosure.min_group().
MIN_GROUP = 3
# Why a role is hidden when it has too few respondents (disclosure.Hidden has the rest).
FEWER_THAN_MINIMUM = "fewer_than_minimum"
LOW_AGREEMENT_BELOW = 0.70
HIGH_DONT_KNOW_FROM = 0.25
# Expected variance of answers spread uniformly over a 5-point scale: (5**2 - 1) / 12.
UNIFORM_NULL_VARIANCE = 2.0
# Two-sided 95% normal quantile, for intervals around determinant scores.
Z_95 = 1.959964
# "Where to act first" names this many determinants, each with its most recommended
# strategies: a short list gets acted on, a list of ten does not (docs/scoring.md §6).
FOCUS_SIZE = 3
STRATEGIES_PER_FOCUS = 3


def shown(score: float | None) -> int | None:
    """A score as every page, chart and download shows it: a whole number, halves up.

    Python's round() sends halves to the even number (74.5 -> 74) while Django's
    floatformat sends them up, so pages use this one rounding, through the ``score``
    template filter, and bands are given on it: a score shown as 75 is always a strength.
    """
    if score is None:
        return None
    return int(Decimal(str(float(score))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def band_for(score: float | None) -> str:
    """The band of a score as shown (see ``shown``): a score shown as 75 or more is a
    strength, as 50 or more developing.

    Compared with the thresholds less a half rather than through ``shown``, which is
    the same and far quicker (network pages band thousands of scores): the decimal that
    ``shown`` rounds is the shortest one that reads back as the same float, so it is at
    least 74.5 exactly when the float is, 74.5 being a float itself."""
    if score is None:
        return Band.INSUFFICIENT
    if score >= STRENGTH_FROM - 0.5:
        return Band.STRENGTH
    if score >= DEVELOPING_FROM - 0.5:
        return Band.DEVELOPING
    return Band.GAP


def answer_score(value: int, *, reverse_scored: bool) -> float:
    """The 0-100 score of a 1-5 answer."""
    return float((5 - value) * 25 if reverse_scored else (value - 1) * 25)


def rwg_j(item_variances: list[float]) -> float | None:
    """Within-group agreement over J items, from each item's sample variance (1-5 scale).

    None when no item had two ratings; 0 when the observed variance reaches the
    uniform null (respondents agree no more than chance).
    """
    if not item_variances:
        return None
    j = len(item_variances)
    ratio = fmean(item_variances) / UNIFORM_NULL_VARIANCE
    if ratio >= 1:
        return 0.0
    return j * (1 - ratio) / (j * (1 - ratio) + ratio)


def standard_error(n: int, mean: float | None, squares: float | None) -> float | None:
    """Standard error of a mean from its count, value and sum of squares; None below 2."""
    if n < 2 or mean is None or squares is None:
        return None
    variance = max(0.0, (squares - n * mean * mean) / (n - 1))
    return math.sqrt(variance / n)


def mean_or_none(values) -> float | None:
    present = [v for v in values if v is not None]
    return fmean(present) if present else None


# --- Per respondent ----------------------------------------------------------------


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


# --- Per round ---------------------------------------------------------------------


class Banded:
    """The band of a result's ``score`` (docs/scoring.md: thresholds 50 and 75)."""

    score: float | None

    @property
    def band(self) -> str:
        return band_for(self.score)

    @property
    def band_label(self) -> str:
        return Band(self.band).label


@dataclass
class DeterminantResult(Banded):
    determinant: Determinant
    score: float | None
    dont_know_rate: float | None
    agreement_rwg: float | None
    scored_respondents: int
    standard_error: float | None = None
    change: float | None = None
    # 1.96 standard errors of the difference with the previous round's score.
    change_noise: float | None = None
    strategies: list[Strategy] = field(default_factory=list)
    # The facility's action items that target it (set by the dashboard for members).
    plan_items: list = field(default_factory=list)
    # Why it is not shown (disclosure.Hidden), when the disclosure rules hide it.
    hidden: str | None = None
    # How many have a score is not shown (1 or 2 of the people have none).
    scored_count_hidden: bool = False
    # What people answered to each of its statements, for everyone or by role.
    statements: list[StatementResult] = field(default_factory=list)

    @property
    def statement_groups(self) -> list[tuple[Item, list[StatementResult]]]:
        """The statements with their groups' results, in questionnaire order."""
        groups: dict[int, tuple[Item, list[StatementResult]]] = {}
        for statement in self.statements:
            groups.setdefault(statement.item.pk, (statement.item, []))[1].append(statement)
        return list(groups.values())

    @property
    def ci_low(self) -> float | None:
        if self.standard_error is None:
            return None
        return max(0.0, self.score - Z_95 * self.standard_error)

    @property
    def ci_high(self) -> float | None:
        if self.standard_error is None:
            return None
        return min(100.0, self.score + Z_95 * self.standard_error)

    @property
    def change_within_noise(self) -> bool:
        """A change smaller than the uncertainty of the two scores is not a real change."""
        if self.change is None:
            return False
        return self.change_noise is None or abs(self.change) < self.change_noise

    @property
    def code(self) -> str:
        return self.determinant.code

    @property
    def low_agreement(self) -> bool:
        return self.agreement_rwg is not None and self.agreement_rwg < LOW_AGREEMENT_BELOW

    @property
    def high_dont_know(self) -> bool:
        return self.dont_know_rate is not None and self.dont_know_rate >= HIGH_DONT_KNOW_FROM

    @property
    def needs_work(self) -> bool:
        return self.band in (Band.GAP, Band.DEVELOPING)


@dataclass
class DomainResult(Banded):
    code: str
    name: str
    determinants: list[DeterminantResult]

    @property
    def score(self) -> float | None:
        return mean_or_none(d.score for d in self.determinants)


@dataclass
class RoleResult:
    role: Role
    # None when the disclosure rules hide how many (see ``hidden``)
    respondents: int | None
    # determinant code -> score, or None for a hidden cell
    cells: dict[str, float | None]
    # Why the whole row is hidden (disclosure.Hidden), or None when it is shown.
    hidden: str | None = None

    @property
    def suppressed(self) -> bool:
        return self.hidden is not None


@dataclass(frozen=True)
class StatementResult:
    """How a group (everyone asked, or one role) answered one statement: how many were
    asked and answered, and how many gave each kind of answer (None where hidden)."""

    item: Item
    role: Role | None  # None: everyone who was asked
    asked: int
    counts: dict[str, int | None]
    # The counts in the dashboard's column order ("Does not apply" last, for
    # instruments that offer it).
    columns: list[int | None] = field(default_factory=list)

    @property
    def dont_know(self) -> int | None:
        return self.counts.get("dont_know")

    @property
    def mostly_unknown(self) -> bool:
        """A quarter or more answered "Don't know" (the determinant-level threshold)."""
        return bool(self.dont_know) and self.dont_know >= HIGH_DONT_KNOW_FROM * self.asked


@dataclass(frozen=True)
class Coverage:
    """How many finished respondents a role has (None when that number is hidden), and
    why its results are not shown, if they are not."""

    role: Role
    respondents: int | None
    fewer_than_minimum: bool
    hidden: str | None = None


@dataclass
class Recommendation:
    strategy: Strategy
    determinants: list[DeterminantResult]

    @property
    def priority(self) -> float:
        """How far the weak determinants it addresses fall below 75, added up."""
        return sum(STRENGTH_FROM - d.score for d in self.determinants)


@dataclass
class RoundScores:
    round: Round
    respondents: int
    in_progress: int
    domains: list[DomainResult]
    roles: list[RoleResult]
    recommendations: list[Recommendation]
    # Every role of the instrument with its number of finished respondents, in order.
    coverage: list[Coverage]
    # The label of the previous round with results, when comparing with it.
    previous_label: str | None = None
    # Earlier rounds with results, oldest first (only when comparing).
    history: list[RoundSummary] = field(default_factory=list)
    previous_overall: float | None = None
    # The smallest group whose results are shown (disclosure.min_group for released
    # results; MIN_GROUP for the operator's unsuppressed figures).
    minimum: int = MIN_GROUP
    # Why nothing is shown (disclosure.Hidden), when the round has too few respondents.
    hidden: str | None = None
    # False when results by role may not be shown (results published in steps).
    by_role: bool = True
    # How many people answered in each language (disclosure.languages_shown).
    languages: list = field(default_factory=list)

    @property
    def determinants(self) -> list[DeterminantResult]:
        return [d for domain in self.domains for d in domain.determinants]

    @property
    def overall(self) -> float | None:
        return mean_or_none(domain.score for domain in self.domains)

    @property
    def overall_band(self) -> str:
        return band_for(self.overall)

    @property
    def overall_band_label(self) -> str:
        return Band(self.overall_band).label

    @property
    def overall_change(self) -> float | None:
        if self.overall is None or self.previous_overall is None:
            return None
        return self.overall - self.previous_overall

    @property
    def needed(self) -> int:
        """How many more finished respondents the round needs before anything is shown."""
        return max(0, self.minimum - self.respondents)

    @property
    def missing_voices(self) -> list[Role]:
        """Key roles (nursing, security, legal, front desk) with too few respondents to show."""
        return [e.role for e in self.coverage if e.role.key_voice and e.fewer_than_minimum]

    @property
    def trend_columns(self) -> list[tuple[str, str]]:
        """(round label, questionnaire version) of each round in the trend, oldest first."""
        columns = [(summary.label, summary.instrument_version) for summary in self.history]
        return columns + [(self.round.label, self.round.instrument.version)]

    @property
    def domain_trend_rows(self) -> list[tuple[str, list[float | None]]]:
        """(domain name, its score in each round of the trend, oldest first): none for a
        round of another questionnaire version, whose domains average other determinants."""
        current = self.round.instrument.version
        return [
            (
                domain.name,
                [
                    s.domains.get(domain.code) if s.instrument_version == current else None
                    for s in self.history
                ]
                + [domain.score],
            )
            for domain in self.domains
        ]

    @property
    def trend_rows(self) -> list[tuple[str, list[float | None]]]:
        """(determinant name, its score in each round of the trend, oldest first)."""
        return [
            (d.determinant.name, [s.determinants.get(d.code) for s in self.history] + [d.score])
            for d in self.determinants
        ]

    @property
    def has_statements(self) -> bool:
        return any(d.statements for d in self.determinants)

    @property
    def unknown_statements(self) -> list[StatementResult]:
        """Statements a quarter or more of a group did not know about, the most unknown
        first: what the dashboard says in plain words."""
        found = [s for d in self.determinants for s in d.statements if s.mostly_unknown]
        return sorted(found, key=lambda s: (-s.dont_know / s.asked, s.item.code))

    @property
    def gaps(self) -> list[DeterminantResult]:
        """Determinants in the gap or developing band, weakest first."""
        return sorted((d for d in self.determinants if d.needs_work), key=lambda d: d.score)

    @property
    def focus(self) -> list[DeterminantResult]:
        """Where to act first: the FOCUS_SIZE weakest determinants that need work."""
        return self.gaps[:FOCUS_SIZE]

    @property
    def later_gaps(self) -> list[DeterminantResult]:
        """The determinants that need work after the focus ones."""
        return self.gaps[FOCUS_SIZE:]

    @property
    def focus_recommendations(self) -> list[Recommendation]:
        """The strategies most recommended for the focus determinants, each listed once
        with every weak determinant it addresses, in the order of the focus list."""
        recommended = {rec.strategy.pk: rec for rec in self.recommendations}
        chosen: dict[int, Recommendation] = {}
        for determinant in self.focus:
            for strategy in determinant.strategies[:STRATEGIES_PER_FOCUS]:
                chosen.setdefault(strategy.pk, recommended[strategy.pk])
        return list(chosen.values())

    @property
    def focus_uncertain(self) -> list[DeterminantResult]:
        """Focus determinants whose band is not settled: their 95% interval reaches
        across a band threshold, or there is no interval (one person has a score)."""
        return [
            d
            for d in self.focus
            if d.ci_low is None
            or any(d.ci_low < threshold <= d.ci_high for threshold in BAND_THRESHOLDS)
        ]

    def to_json(self) -> dict:
        def r(value, digits):
            return None if value is None else round(value, digits)

        return {
            "respondents": self.respondents,
            "overall": r(self.overall, 2),
            "domains": [
                {"code": d.code, "score": r(d.score, 2), "band": d.band} for d in self.domains
            ],
            "determinants": [
                {
                    "code": d.code,
                    "domain": domain.code,
                    "score": r(d.score, 2),
                    "band": d.band,
                    "dont_know_rate": r(d.dont_know_rate, 4),
                    "agreement_rwg": r(d.agreement_rwg, 4),
                    "ci_low": r(d.ci_low, 2),
                    "ci_high": r(d.ci_high, 2),
                }
                for domain in self.domains
                for d in domain.determinants
            ],
            "roles": {
                role.role.code: (
                    {"respondents": role.respondents, "suppressed": True}
                    if role.suppressed
                    else {
                        "respondents": role.respondents,
                        "suppressed": False,
                        "determinants": {code: r(v, 2) for code, v in role.cells.items()},
                    }
                )
                for role in self.roles
            },
            "recommendations": [
                {
                    "strategy": rec.strategy.code,
                    "determinants": [d.code for d in rec.determinants],
                    "priority": r(rec.priority, 2),
                }
                for rec in self.recommendations
            ],
        }


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


def aggregate(round_: Round, *, published: bool = False, respondent_ids=None) -> dict:
    """The round's sums, from SQL, as plain JSON-ready data keyed by code.

    ``published`` True: over the respondents in the round's published results;
    ``respondent_ids``: over these respondents of the round only (people joining the
    published results, added to them by ``combine``); neither: over every finished
    respondent (the operator's view). Five grouped queries whatever the number of
    respondents, none for an empty list of ids. Nothing here decides what may be shown:
    disclosure.py does, from this.

    Beside the figures, ``sums`` keeps what makes them additive (totals of scores and
    of ratings), so that the aggregates of two sets of people combine without reading
    either set's answers again.
    """
    structure = _structure(round_)
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
            "answers": row["answer_count"] or 0,
            "dont_know": row["dont_know_count"] or 0,
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
            # Releases kept before languages were counted have none.
            "languages": add_counts(base.get("languages", {}), extra.get("languages", {})),
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
        row.pop("rwg", None)
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


def _structure(round_: Round):
    from readiness.pages import instrument_structure

    return instrument_structure(round_.instrument)


def comparable(summary: RoundSummary, instrument) -> RoundSummary:
    """A round's summary in the terms of another instrument version.

    Rounds of the same version compare as they are. A round of another version keeps
    only the determinants whose meaning carried over between the two
    (``carries_over_from`` of the newer one), under ``instrument``'s codes; its domains
    and overall score, made of other determinants, are not comparable and are left out.
    Used by trends, peer comparisons and the network's comparison of its sites.
    """
    from readiness.pages import instrument_by_version, instrument_structure

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


def assemble(
    round_: Round,
    aggregates: dict,
    *,
    in_progress: int = 0,
    history: list[RoundSummary] | None = None,
    minimum: int = MIN_GROUP,
    hidden: str | None = None,
    by_role: bool = True,
) -> RoundScores:
    """Every result of a round from its aggregates (no query beyond the instrument's
    structure, which is read once per process).

    Determinants that disclosure.py hid carry ``"hidden"`` instead of sums; roles it
    hid have a None count in ``roles`` and a reason in ``role_hidden``; cells it hid are
    absent. Cells of fewer than MIN_GROUP people are always hidden (today's operator
    view keeps that rule too).
    """
    structure = _structure(round_)
    history = [comparable(summary, round_.instrument) for summary in history or []]
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
        determinant = results.get(determinant_id)
        if determinant is None:
            continue
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

    counts = aggregates["roles"]
    role_hidden = aggregates.get("role_hidden", {})
    role_results, coverage = [], []
    for role in structure.roles:
        n = counts.get(role.code, 0)  # None: disclosure.py hides how many, and says why
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
        if not n:  # nobody, or a number disclosure.py hides: no row of results
            continue
        role_cells = aggregates["cells"].get(role.code, {})
        cells = (
            {}
            if reason
            else {det.code: _cell(role_cells.get(det.code)) for det in structure.determinants}
        )
        role_results.append(RoleResult(role=role, respondents=n, cells=cells, hidden=reason))

    return RoundScores(
        round=round_,
        respondents=aggregates["respondents"],
        in_progress=in_progress,
        domains=list(domains.values()),
        roles=role_results,
        recommendations=ranked,
        coverage=coverage,
        previous_label=previous_summary.label if previous_summary else None,
        history=history,
        previous_overall=previous_summary.overall if previous_summary else None,
        minimum=minimum,
        hidden=hidden,
        by_role=by_role,
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
    everyone = aggregates.get("items", {})
    by_role = aggregates.get("item_cells", {})
    for item in structure.items:
        result = results.get(item.determinant_id)
        if result is None:
            continue
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
                        columns=[counts.get(group, 0) for group in groups_shown],
                    )
                )


def score_round(round_: Round, *, compare_with_previous: bool = False) -> RoundScores:
    """The operator's full figures for one round, from every finished respondent, with
    no disclosure rule beyond hiding role cells under MIN_GROUP (`manage.py scores
    --unsuppressed`). Pages never show these: they show disclosure.released_scores().

    Costs a fixed number of queries whatever the number of respondents: 6, plus 1 when
    comparing with earlier rounds (the instrument's structure is read once per process).
    """
    in_progress = Respondent.objects.filter(
        round=round_, status=Respondent.Status.IN_PROGRESS
    ).count()
    history: list[RoundSummary] = []
    if compare_with_previous:
        # every earlier round's summary, in one query: the latest one with results is
        # "the previous round"; all of them make the trend.
        history = in_time_order(round_summaries(earlier_rounds(round_).values("pk")))
    return assemble(
        round_, aggregate(round_, published=False), in_progress=in_progress, history=history
    )


def _cell(aggregate: tuple[float | None, int] | None) -> float | None:
    """A role's determinant score, hidden when fewer than MIN_GROUP respondents have one."""
    if aggregate is None:
        return None
    score, scored = aggregate
    return score if scored >= MIN_GROUP else None
