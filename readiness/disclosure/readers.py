"""What a reader may see of a round: the parts of its results their access opens
(Scope), how far its results are published, and the JSON of results.json."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from readiness.disclosure.groups import Hidden, min_group
from readiness.disclosure.releases import release_for, released_scores
from readiness.models import Respondent, Round, RoundRelease
from readiness.scoring import (
    RoundScores,
)


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

    scores = released_scores(round_, scope=scope)
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
