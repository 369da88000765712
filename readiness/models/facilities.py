"""Facilities and their staff."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from readiness.models.organisations import Network


class FacilityType(models.TextChoices):
    FQHC = "fqhc", _("Federally qualified health center (FQHC)")
    ACADEMIC = "academic", _("Academic hospital")
    PRIVATE = "private", _("Private hospital")
    COUNTY = "county", _("County or public facility")
    COMMUNITY = "community", _("Community hospital")
    FREE_CLINIC = "free_clinic", _("Free clinic")
    OTHER = "other", _("Other")


class Setting(models.TextChoices):
    URBAN = "urban", _("Urban")
    RURAL = "rural", _("Rural")


class USState(models.TextChoices):
    AL = "AL", "Alabama"
    AK = "AK", "Alaska"
    AZ = "AZ", "Arizona"
    AR = "AR", "Arkansas"
    CA = "CA", "California"
    CO = "CO", "Colorado"
    CT = "CT", "Connecticut"
    DE = "DE", "Delaware"
    DC = "DC", "District of Columbia"
    FL = "FL", "Florida"
    GA = "GA", "Georgia"
    HI = "HI", "Hawaii"
    ID = "ID", "Idaho"
    IL = "IL", "Illinois"
    IN = "IN", "Indiana"
    IA = "IA", "Iowa"
    KS = "KS", "Kansas"
    KY = "KY", "Kentucky"
    LA = "LA", "Louisiana"
    ME = "ME", "Maine"
    MD = "MD", "Maryland"
    MA = "MA", "Massachusetts"
    MI = "MI", "Michigan"
    MN = "MN", "Minnesota"
    MS = "MS", "Mississippi"
    MO = "MO", "Missouri"
    MT = "MT", "Montana"
    NE = "NE", "Nebraska"
    NV = "NV", "Nevada"
    NH = "NH", "New Hampshire"
    NJ = "NJ", "New Jersey"
    NM = "NM", "New Mexico"
    NY = "NY", "New York"
    NC = "NC", "North Carolina"
    ND = "ND", "North Dakota"
    OH = "OH", "Ohio"
    OK = "OK", "Oklahoma"
    OR = "OR", "Oregon"
    PA = "PA", "Pennsylvania"
    PR = "PR", "Puerto Rico"
    RI = "RI", "Rhode Island"
    SC = "SC", "South Carolina"
    SD = "SD", "South Dakota"
    TN = "TN", "Tennessee"
    TX = "TX", "Texas"
    UT = "UT", "Utah"
    VT = "VT", "Vermont"
    VA = "VA", "Virginia"
    WA = "WA", "Washington"
    WV = "WV", "West Virginia"
    WI = "WI", "Wisconsin"
    WY = "WY", "Wyoming"


# How long owners can restore a facility they deleted (services/facilities.py); after it,
# `manage.py purge_deleted_facilities` removes it for good.
RESTORE_WITHIN_DAYS = 30


class FacilityQuerySet(models.QuerySet):
    """The rules of who enters peer comparisons, for queries; ``Facility.contributes``
    and ``Facility.is_verified`` say the same of one facility (a test holds them equal)."""

    # The owners' choice; unset means on for a network's sites, off otherwise.
    CONSENTED = Q(contributes_to_benchmarks=True) | Q(
        contributes_to_benchmarks__isnull=True, network__isnull=False
    )
    # Checked by a site administrator, or a member of a network.
    VERIFIED = Q(verified_on__isnull=False) | Q(network__isnull=False)

    def contributing(self):
        """Facilities whose latest published round enters the peer snapshot."""
        return self.filter(self.CONSENTED & self.VERIFIED)


class LiveFacilities(models.Manager.from_queryset(FacilityQuerySet)):
    """Facilities not deleted: what every page, comparison and link sees."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class Facility(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    type = models.CharField(max_length=20, choices=FacilityType.choices)
    state = models.CharField(max_length=2, choices=USState.choices)
    setting = models.CharField(max_length=10, choices=Setting.choices, blank=True)
    network = models.ForeignKey(
        Network, on_delete=models.SET_NULL, null=True, blank=True, related_name="facilities"
    )
    # Whether its latest closed round counts in other facilities' peer benchmarks: the
    # owner's choice; unset means the default, on for a network's sites, off otherwise.
    contributes_to_benchmarks = models.BooleanField(null=True, blank=True, default=None)
    # Set by a site administrator (admin or `manage.py verify_facility`): only verified
    # facilities, and a network's sites, count as peers in other facilities' benchmarks,
    # so that nobody can surround a real facility with fake peers of their own.
    verified_on = models.DateField(null=True, blank=True)
    # The owners' choice of a larger smallest group than the site's DISCLOSURE_MIN_GROUP
    # (docs/privacy.md); None means the site's setting. Never lower than it.
    min_group = models.PositiveSmallIntegerField(null=True, blank=True)
    # Whether the leaders of its network may download its answers one row per respondent
    # (off unless an owner grants it; aggregated tables need no grant).
    network_answer_access = models.BooleanField(default=False)
    is_demo = models.BooleanField(default=False, help_text="Synthetic demonstration data.")
    # Bumped whenever a result of any of its rounds may change (a respondent finishes,
    # answers are imported): dashboards cache their results under this number.
    results_version = models.PositiveIntegerField(default=0)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="facilities"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Deleted by an owner: gone at once for everyone, restorable for RESTORE_WITHIN_DAYS.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = LiveFacilities()
    # Deleted ones too: for restoring and purging only.
    all_objects = models.Manager()  # noqa: DJ012 - a manager, after the default one

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "facilities"
        base_manager_name = "all_objects"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("facility-detail", args=[self.slug])

    @property
    def contributes(self) -> bool:
        """The owners' choice (unset: on for a network's sites, off otherwise)."""
        if self.contributes_to_benchmarks is None:
            return self.network_id is not None
        return self.contributes_to_benchmarks

    @property
    def is_verified(self) -> bool:
        return self.verified_on is not None or self.network_id is not None


class Membership(models.Model):
    class Level(models.TextChoices):
        OWNER = "owner", _("Owner")
        EDITOR = "editor", _("Editor")
        VIEWER = "viewer", _("Viewer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="memberships")
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.OWNER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "facility"], name="membership_unique")
        ]

    def __str__(self):
        return f"{self.user} – {self.facility} ({self.level})"
