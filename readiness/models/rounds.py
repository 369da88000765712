"""Assessment rounds and what anonymous respondents give: Round, Respondent, Answer.

Nothing here identifies a respondent: no name, e-mail, IP address or user agent, and dates
are kept to the day."""

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from readiness.models.codes import SHORT_CODE_LENGTH, group_short_code, new_short_code, new_token
from readiness.models.facilities import Facility
from readiness.models.instrument import Instrument, Item, Role


class Round(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="rounds")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="rounds")
    label = models.CharField(max_length=80)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # The one link shared with all staff. Stored as is because administrators see it
    # again whenever they open the round; it only lets someone start a new response.
    link_token = models.CharField(max_length=64, unique=True, default=new_token)
    # The same link, short (SHORT_CODE_ALPHABET): replaced with link_token, so that an old
    # flyer stops working exactly like the old long link.
    short_code = models.CharField(max_length=SHORT_CODE_LENGTH, unique=True, default=new_short_code)
    opened_on = models.DateField(default=timezone.localdate)
    closed_on = models.DateField(null=True, blank=True)
    # The intervention the facility is preparing for with this round, if any.
    intervention = models.ForeignKey(
        "Intervention", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The owners' choice to keep responses flagged by the data-quality checks out of
    # the published results (services/quality.py).
    exclude_flagged = models.BooleanField(default=False)
    # Publish nothing until the round closes, then everything at once: results by role
    # are shown only for results published in one step (readiness.disclosure).
    publish_at_close = models.BooleanField(default=False)

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "label"], name="round_label_unique")
        ]

    def __str__(self):
        return f"{self.facility} – {self.label}"

    def get_absolute_url(self):
        return reverse("round-dashboard", args=[self.facility.slug, self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def respondent_link(self) -> str:
        return reverse("respondent-start", args=[self.link_token])

    def short_link(self) -> str:
        """/s/k7m4-p9qx-dw3n: leads to respondent_link()."""
        return reverse("respondent-short", args=[self.short_code])

    @property
    def grouped_short_code(self) -> str:
        return group_short_code(self.short_code)


class Respondent(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        FINISHED = "finished", _("Finished")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="respondents")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="respondents")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    # sha256 of the personal resume token; empty for respondents imported from a file.
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)  # noqa: DJ001
    # A random value from the start form: a double-clicked "Start" finds the respondent
    # the first click created instead of creating a second one.
    # NULL rather than "" for the two ids below: the unique constraints must not treat
    # every respondent without one as a duplicate.
    start_nonce = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # The respondent id of an imported file (paper surveys); unique within a round.
    import_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    pages_saved = models.PositiveSmallIntegerField(default=0)
    # Dates only, never times: a time of day can identify someone on a small team.
    started_on = models.DateField(default=timezone.localdate)
    finished_on = models.DateField(null=True, blank=True)
    # Time spent on the questionnaire's pages: seconds while answering, replaced at
    # finish by whole minutes (a duration, never a time of day). None for imports.
    active_seconds = models.PositiveIntegerField(default=0)
    minutes_to_complete = models.PositiveIntegerField(null=True, blank=True)
    # Data-quality flags set at finish (services/quality.py).
    too_fast = models.BooleanField(default=False)
    straight_lined = models.BooleanField(default=False)
    # In the round's published results (RoundRelease); see services/releases.py.
    published = models.BooleanField(default=False)
    # The language the respondent last chose (settings.LANGUAGES): their personal link
    # reopens in it. Empty for answers imported from a file. Counted on the dashboard
    # only as the small-group rules allow (disclosure.languages_shown).
    language = models.CharField(max_length=10, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "import_id"],
                condition=Q(import_id__isnull=False),
                name="respondent_import_id_unique",
            ),
            models.UniqueConstraint(
                fields=["round", "start_nonce"],
                condition=Q(start_nonce__isnull=False),
                name="respondent_start_nonce_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["round", "status"]),
            models.Index(fields=["round", "published"]),
            # The few flagged ones, counted at every update of a round's published
            # results (services/releases.py) without reading its thousands of others.
            models.Index(
                fields=["round", "status"],
                condition=Q(too_fast=True) | Q(straight_lined=True),
                name="respondent_flagged",
            ),
        ]

    def __str__(self):
        return f"Respondent {self.pk} ({self.role})"

    @property
    def is_finished(self) -> bool:
        return self.status == self.Status.FINISHED

    @property
    def is_flagged(self) -> bool:
        return self.too_fast or self.straight_lined


class Answer(models.Model):
    class Kind(models.TextChoices):
        SCALE = "scale", _("Rated 1 to 5")
        DONT_KNOW = "dk", _("Don't know")
        NOT_APPLICABLE = "na", _("Not applicable")

    # No index of its own: answer_once_per_item's (respondent, item) serves every lookup
    # by respondent (the planner uses it, docs/performance.md), and one index fewer is
    # one less to write for every answer saved or imported.
    respondent = models.ForeignKey(
        Respondent, on_delete=models.CASCADE, related_name="answers", db_index=False
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="answers")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    value = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["respondent", "item"], name="answer_once_per_item"),
            models.CheckConstraint(
                condition=(
                    Q(kind="scale", value__gte=1, value__lte=5)
                    | Q(kind__in=["dk", "na"], value__isnull=True)
                ),
                name="answer_value_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.item.code}={self.value or self.kind}"
