"""A round's results as pages, reports and downloads read them: per determinant,
domain, role and statement, with what to act on first."""

from __future__ import annotations

from dataclasses import dataclass, field

from readiness.models import Band, Determinant, Item, Role, Round, Strategy
from readiness.scoring.history import RoundSummary
from readiness.scoring.rules import (
    BAND_THRESHOLDS,
    FOCUS_SIZE,
    HIGH_DONT_KNOW_FROM,
    LOW_AGREEMENT_BELOW,
    MIN_GROUP,
    STRATEGIES_PER_FOCUS,
    STRENGTH_FROM,
    Z_95,
    Banded,
    band_for,
    mean_or_none,
)


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
    # False when results by role may not be shown (results published in steps; set by
    # disclosure.released_scores).
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
