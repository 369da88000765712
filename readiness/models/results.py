"""What is computed from answers and kept: each finished respondent's scores
(DeterminantScore, so that dashboards aggregate a small table instead of every answer),
what a round has published (RoundRelease), each facility's standing, and the day's peer
snapshot."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from readiness.models.facilities import Facility
from readiness.models.instrument import Determinant
from readiness.models.rounds import Respondent, Round


class Band(models.TextChoices):
    STRENGTH = "strength", _("Strength")
    DEVELOPING = "developing", _("Developing")
    GAP = "gap", _("Gap")
    INSUFFICIENT = "insufficient", _("Insufficient data")


class RoundRelease(models.Model):
    """The published results of a round: aggregates of the respondents marked published,
    frozen until enough people finish to change them (services/releases.py), so that no
    one can compare two versions of the results and see one person's answers."""

    round = models.OneToOneField(
        Round, on_delete=models.CASCADE, primary_key=True, related_name="release"
    )
    number = models.PositiveIntegerField(default=0)  # 0: nothing published yet
    respondents = models.PositiveIntegerField(default=0)
    updated_on = models.DateField(default=timezone.localdate)
    # scoring.aggregate()'s output for the published respondents.
    aggregates = models.JSONField(default=dict)
    # Its facility-level part (respondents, roles, determinants), about a fortieth of it:
    # what pages comparing many rounds read (disclosure.released_summaries), so that a
    # network of hundreds of sites does not decode every statement's counts.
    summary = models.JSONField(default=dict)
    # The most people scored on any one determinant: with ``respondents``, whether the
    # round has anything to show under a minimum group, without reading any JSON.
    most_scored = models.PositiveIntegerField(default=0)
    # Roles merged into "small roles" in answer-level downloads of this round. It only
    # grows, so that two downloads never tell apart what one of them merged.
    merged_roles = models.JSONField(default=list)
    # Languages whose count of respondents the dashboard hides (disclosure.languages_shown),
    # for the same reason and in the same way as roles: it only grows.
    hidden_languages = models.JSONField(default=list)
    # The quality checks' counts when the results were last updated: flagged finished
    # responses, and those of them kept out of the results. Owners see these, not live
    # counts, which would move when one person finishes and tell how that person answered.
    flagged = models.PositiveIntegerField(default=0)
    kept_out = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.round} – release {self.number} ({self.respondents})"

    def set_aggregates(self, aggregates: dict) -> None:
        self.aggregates = aggregates
        self.summary = summary_of(aggregates)
        self.most_scored = most_scored_of(aggregates)

    def has_results(self, minimum: int) -> bool:
        """Whether anything of it may be shown under this minimum group: the same answer as
        disclosure.summarise_release giving a summary, from two numbers."""
        return self.respondents >= minimum and self.most_scored >= minimum


def summary_of(aggregates: dict) -> dict:
    """The facility-level part of a round's aggregates (RoundRelease.summary)."""
    return {key: aggregates[key] for key in ("respondents", "roles", "determinants")}


def most_scored_of(aggregates: dict) -> int:
    return max((row["scored"] for row in aggregates.get("determinants", {}).values()), default=0)


class Standing(models.Model):
    """Where a facility stands, kept at write time for pages that compare many
    facilities (a network's page of up to a thousand sites reads one of these per site,
    never their rounds): the round each way of comparing would show, with its published
    facility-level results, and the dates the summary needs. Worked out by
    the rules of readiness/comparison/ (services/standings.py) under the facility's
    ``results_version`` and smallest group, and worked out again when either moved."""

    facility = models.OneToOneField(
        Facility, on_delete=models.CASCADE, primary_key=True, related_name="standing"
    )
    results_version = models.PositiveIntegerField()
    minimum = models.PositiveSmallIntegerField()
    # comparison.ENTRY_FORMAT when it was worked out: a standing kept by earlier code is
    # worked out again, never read in another shape.
    entry_format = models.PositiveSmallIntegerField(default=0)
    # When the facility last closed a round with results (None: never).
    last_closed_on = models.DateField(null=True, blank=True)
    # [opened on, id, questionnaire version] of its newest round, with or without
    # results (None: it has none): which questionnaire a comparison speaks in.
    newest = models.JSONField(null=True, blank=True)
    # comparison.entry() as JSON: comparing latest closed rounds, or latest rounds with
    # results, open or closed.
    closed = models.JSONField(default=dict)
    latest = models.JSONField(default=dict)

    def __str__(self):
        return f"Standing of facility {self.facility_id} (results {self.results_version})"


class DeterminantScore(models.Model):
    """One finished respondent's result for one determinant (see readiness/scoring/)."""

    # Served by determinant_score_unique's (respondent, determinant), as Answer's is.
    respondent = models.ForeignKey(
        Respondent, on_delete=models.CASCADE, related_name="determinant_scores", db_index=False
    )
    determinant = models.ForeignKey(
        Determinant, on_delete=models.PROTECT, related_name="respondent_scores"
    )
    # None when the respondent rated fewer than half of the determinant's items.
    score = models.FloatField(null=True, blank=True)
    answers = models.PositiveSmallIntegerField()
    dont_know = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["respondent", "determinant"], name="determinant_score_unique"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="determinant_score_range",
            ),
        ]

    def __str__(self):
        return f"{self.determinant.code}={self.score}"


class BenchmarkSnapshot(models.Model):
    """Every contributing facility's published scores, taken once a day, so that one
    facility joining or leaving cannot be read off a before/after comparison within the
    day (benchmarks.py)."""

    day = models.DateField(unique=True)
    # [{"facility": id, "type": "fqhc", "scores": {determinant code: score}}, ...]
    peers = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Benchmark snapshot {self.day} ({len(self.peers)} facilities)"
