"""Downloads prepared in the background."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from readiness.models.facilities import Facility
from readiness.models.organisations import Network
from readiness.models.rounds import Round


class PreparedDownload(models.Model):
    """An answer-level download prepared in the background (services/downloads/): asked
    for on a page, written to a file by the task worker, fetched by the people entitled
    to it (views/downloads.py) until it expires. The file lives outside the web root
    (settings.DOWNLOADS_DIR) under this row's random id."""

    class Kind(models.TextChoices):
        FACILITY_ANSWERS = "facility_answers", _("A facility's answers")
        NETWORK_ANSWERS = "network_answers", _("A network's answers")
        NETWORK_REPORT = "network_report", _("A network's report for the board")
        ROUND_REPORT = "round_report", _("A round's report for the board")

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        CSV_ZIP = "zip", _("Compressed CSV with a data dictionary (ZIP)")
        XLSX = "xlsx", _("Excel workbook (XLSX)")
        JSON = "json", _("JSON")
        PDF = "pdf", _("PDF")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        PREPARING = "preparing", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Could not be prepared")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prepared_downloads"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    format = models.CharField(max_length=4, choices=Format.choices)
    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # A round's report: the round (of ``facility``).
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The facilities whose answers the file holds, as they were when it was asked for: a
    # network's file is given only while every one of them still allows it.
    facility_ids = models.JSONField(default=list)
    include_unfinished = models.BooleanField(default=False)
    # A network's report: the filters and order of the page it was asked from, as the
    # page writes them (views/networks._choice).
    query = models.CharField(max_length=500, blank=True)
    # The language of the page it was asked from, for what the file says in words.
    language = models.CharField(max_length=10, default=settings.LANGUAGE_CODE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Progress, in respondents: the file follows them, a batch at a time.
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    rows = models.PositiveBigIntegerField(null=True, blank=True)  # once ready
    size = models.PositiveBigIntegerField(null=True, blank=True)  # bytes, once ready
    failure = models.TextField(blank=True)  # said to the person, when it failed
    created_at = models.DateTimeField(default=timezone.now)
    # Written with every step of progress: a file "being prepared" whose worker stopped
    # (killed, machine restarted) is seen by its silence (services/downloads/).
    updated_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["expires_at"], name="download_expiry")]
        constraints = [
            models.CheckConstraint(
                condition=Q(facility__isnull=False) | Q(network__isnull=False),
                name="download_has_scope",
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.format} {self.status}"

    def get_absolute_url(self):
        return reverse("download-status", args=[self.pk])

    @property
    def file_name(self) -> str:
        """The name the person's browser saves it under."""
        scope = self.network.slug if self.network_id else self.facility.slug
        if self.kind == self.Kind.ROUND_REPORT:
            scope = slugify(f"{scope} {self.round.label}") or scope
        what = "answers" if self.kind.endswith("answers") else "report"
        return f"readiness-{scope}-{what}-{self.created_at:%Y-%m-%d}.{self.format}"
