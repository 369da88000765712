"""Action plans and the inventory of interventions a facility has in place."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from readiness.models.facilities import Facility
from readiness.models.instrument import Strategy
from readiness.models.rounds import Round


class ActionItem(models.Model):
    """A step of the facility's plan, usually taken from a recommended strategy."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="action_items")
    strategy = models.ForeignKey(
        Strategy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The determinants it targets, by code, taken from the strategy when the item is made:
    # codes stay comparable across questionnaire versions.
    targets = models.JSONField(default=list)
    # The round whose results led to it: "did the needle move" compares against this one.
    baseline_round = models.ForeignKey(
        Round, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    owner_name = models.CharField(max_length=120, blank=True)
    owner_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PLANNED, self.Status.IN_PROGRESS)

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < timezone.localdate()


class Intervention(models.Model):
    """An immigrant-protective intervention health systems adopt (fixtures/interventions.json)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField()
    source = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]

    def __str__(self):
        return self.name


class FacilityIntervention(models.Model):
    """Where a facility stands with one intervention."""

    class Status(models.TextChoices):
        IN_PLACE = "in_place", _("In place")
        IMPLEMENTING = "implementing", _("Being implemented")
        PLANNED = "planned", _("Planned")
        NOT_PLANNED = "not_planned", _("Not planned")

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="interventions")
    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=14, choices=Status.choices)
    since = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "intervention"], name="facility_intervention_unique"
            )
        ]

    def __str__(self):
        return f"{self.facility}: {self.intervention} ({self.status})"
