"""Data model.

Three groups of tables:

* the instrument (Instrument, Role, Domain, Determinant, Item, Strategy), loaded from
  fixtures/ and never edited in place: a new version is a new Instrument, so answers
  given to an old version keep pointing at the items they answered;
* facilities and their staff (Facility, Membership);
* assessment rounds and what anonymous respondents gave (Round, Respondent, Answer),
  with DeterminantScore, the per-respondent scores written once when a respondent
  finishes so that dashboards aggregate a small table instead of every answer.

Nothing here identifies a respondent: no name, e-mail, IP address or user agent, and
dates are kept to the day.
"""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# 32 random bytes, 256 bits, URL-safe: far beyond guessing for links that grant access.
TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


# A round's short link (/s/k7m4-p9qx-dw3n), for flyers, QR codes and typing from a
# phone: lowercase letters and digits without the ones easily taken for another (no 0
# or o, no 1, l or i), 31 symbols. 12 of them, drawn by `secrets`, are 31**12 = 7.9e17
# codes, 59.45 bits: at 120 unknown codes an hour per address (views/questionnaire.py),
# a million addresses guessing day and night would hit one of ten thousand open rounds
# about once in 75 years. The long link (256 bits) keeps working beside it.
SHORT_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
SHORT_CODE_LENGTH = 12
SHORT_CODE_GROUP = 4  # shown as k7m4-p9qx-dw3n


def new_short_code() -> str:
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))


def group_short_code(code: str) -> str:
    """k7m4p9qxdw3n -> k7m4-p9qx-dw3n, easier to read out and to type."""
    step = SHORT_CODE_GROUP
    return "-".join(code[i : i + step] for i in range(0, len(code), step))


def hash_token(token: str) -> str:
    """Resume tokens are stored hashed: a copy of the database cannot resume anyone."""
    return hashlib.sha256(token.encode()).hexdigest()


class Band(models.TextChoices):
    STRENGTH = "strength", _("Strength")
    DEVELOPING = "developing", _("Developing")
    GAP = "gap", _("Gap")
    INSUFFICIENT = "insufficient", _("Insufficient data")


# --- The instrument -----------------------------------------------------------------


class Translated(models.Model):
    """Texts a respondent reads, in the languages besides the instrument's own English:
    ``{"es": {"text": "..."}}``, loaded from the instrument file's ``translations``
    (services/instrument.py). Codes, scoring and English texts stay the reference: a
    translation renders them, it never changes what an answer means."""

    translations = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True

    def in_language(self, field: str, language: str | None = None) -> str:
        """The field's text in the language (the active one by default; "pt-br", then
        "pt"), or English."""
        language = (language or get_language() or "").lower()
        for code in (language, language.split("-")[0]):
            text = self.translations.get(code, {}).get(field)
            if text:
                return text
        return getattr(self, field)


class Instrument(Translated):
    version = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=200)
    citation = models.TextField(blank=True)
    # sha256 of the fixture's canonical JSON: loading the same version twice is a no-op,
    # loading different content under an existing version is refused.
    content_hash = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(default=timezone.now)
    # 2026.1 offered "Does not apply to me", which dropped out of scoring, so a facility
    # lacking something could score higher by answering it; 2027.1 routes items by role
    # instead and offers no such answer.
    offers_not_applicable = models.BooleanField(default=True)
    # How "Don't know" enters a respondent's determinant score: left out (2026.1), or
    # as the neutral middle of the scale (2027.1), so that not knowing never scores
    # higher than agreeing (docs/scoring.md).
    dont_know_is_neutral = models.BooleanField(default=False)

    class Meta:
        ordering = ["-loaded_at", "-id"]

    def __str__(self):
        return f"{self.title} ({self.version})"

    @classmethod
    def current(cls):
        """The most recently loaded version, used by new rounds."""
        return cls.objects.order_by("-loaded_at", "-id").first()


class Role(Translated):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="roles")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    # Roles the dashboard warns about when too few of them answered: in the study,
    # efforts failed where nurses or staff such as security were left out, and legal
    # teams were named as important to include (docs/scoring.md).
    key_voice = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="role_code_unique")
        ]

    def __str__(self):
        return self.name


class Domain(Translated):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="domains")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    intro = models.TextField(help_text="One or two plain sentences shown to respondents.")
    # CFIR 2.0 domain (Damschroder et al. 2022) of the page's determinants.
    cfir2_domain = models.CharField(max_length=40, blank=True)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="domain_code_unique")
        ]

    def __str__(self):
        return self.name


class Determinant(Translated):
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="determinants")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    cfir_construct = models.CharField(max_length=120, blank=True)  # CFIR 2009
    cfir2_construct = models.CharField(max_length=200, blank=True)  # CFIR 2.0
    # The earlier version's determinant whose meaning this one keeps: trends compare
    # rounds of two versions on such determinants only.
    carries_over_from = models.SlugField(max_length=40, blank=True)
    explanation = models.TextField(help_text="One plain sentence shown to respondents.")
    why_it_matters = models.TextField(help_text="The study's finding, paraphrased.")
    # Where in the study (or the other named source) the finding is.
    source = models.TextField()
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["domain__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "code"], name="determinant_code_unique")
        ]

    def __str__(self):
        return self.name


class Item(Translated):
    determinant = models.ForeignKey(Determinant, on_delete=models.CASCADE, related_name="items")
    code = models.SlugField(max_length=40)
    text = models.TextField()
    reverse_scored = models.BooleanField(default=False)
    weight = models.PositiveSmallIntegerField(default=1)
    source = models.TextField(blank=True)
    cfir_construct = models.CharField(max_length=200, blank=True)  # CFIR 2009
    cfir2_construct = models.CharField(max_length=200, blank=True)  # CFIR 2.0
    # Role codes of the respondents who are asked this statement; empty: everyone. A
    # guard is not asked how fast legal review is.
    asked_of = models.JSONField(default=list, blank=True)
    carries_over_from = models.SlugField(max_length=40, blank=True)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["determinant__domain__position", "determinant__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["determinant", "code"], name="item_code_unique"),
            models.CheckConstraint(condition=Q(weight__gte=1), name="item_weight_positive"),
        ]

    def __str__(self):
        return self.code

    def is_asked_of(self, role_code: str) -> bool:
        return not self.asked_of or role_code in self.asked_of


class Strategy(models.Model):
    class EricMatch(models.TextChoices):
        # 2026.1 said nothing about how close its ERIC names were.
        UNSTATED = "", _("Related ERIC strategy")
        EXACT = "exact", _("ERIC strategy")
        ADAPTED = "adapted", _("Adapted from the ERIC strategy")
        COMPONENT = "component", _("Part of the protection itself")

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="strategies")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    eric_strategy = models.CharField(
        max_length=120, blank=True, help_text="Matching ERIC strategy (Powell et al. 2015)."
    )
    eric_match = models.CharField(
        max_length=10, choices=EricMatch.choices, blank=True, default=EricMatch.UNSTATED
    )
    rationale = models.TextField()
    source = models.TextField(blank=True)
    determinants = models.ManyToManyField(Determinant, related_name="strategies")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        verbose_name_plural = "strategies"
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="strategy_code_unique")
        ]

    def __str__(self):
        return self.name


# --- Facilities and their staff ---------------------------------------------------------


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


class Network(models.Model):
    """A health-center network, hospital system or county department grouping facilities."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    leaders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="NetworkLeader", related_name="networks"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("network-comparison", args=[self.slug])


class NetworkLeader(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="network_roles"
    )
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="leaderships")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "network"], name="network_leader_unique")
        ]

    def __str__(self):
        return f"{self.user} – {self.network}"


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


# --- Rounds, respondents, answers ----------------------------------------------------


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
    # are shown only for results published in one step (disclosure.py).
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
    readiness/comparison.py's rules (services/standings.py) under the facility's
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
    # comparison.Entry as JSON: comparing latest closed rounds, or latest rounds with
    # results, open or closed.
    closed = models.JSONField(default=dict)
    latest = models.JSONField(default=dict)

    def __str__(self):
        return f"Standing of facility {self.facility_id} (results {self.results_version})"


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


class DeterminantScore(models.Model):
    """One finished respondent's result for one determinant (see scoring.py)."""

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


# --- Access: invitations, partner organisations, shares, audit ------------------------


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        """Invitations that can still be accepted (``Invitation.is_pending``)."""
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """A single-use, expiring invitation to join a facility, sent by e-mail."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    level = models.CharField(max_length=10, choices=Membership.Level.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} → {self.facility} ({self.level})"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


def new_partner_code() -> str:
    """A code a partner gives to the facilities it works with (SHORT_CODE_ALPHABET)."""
    return new_short_code()


class Partner(models.Model):
    """An advocacy group, funder or network office that facilities may share with.

    Facilities find a partner only by the code it gives them (``share_code``): no list of
    partners is shown to anyone, and a share stays an offer until a member accepts it.
    """

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    share_code = models.CharField(
        max_length=SHORT_CODE_LENGTH, unique=True, default=new_partner_code
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="PartnerMembership", related_name="partners"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("partner-portfolio", args=[self.slug])

    @property
    def grouped_share_code(self) -> str:
        return group_short_code(self.share_code)


class PartnerMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_memberships"
    )
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "partner"], name="partner_membership_unique")
        ]

    def __str__(self):
        return f"{self.user} – {self.partner}"


class ShareQuerySet(models.QuerySet):
    def active(self):
        """Shares in force now: accepted by the partner, not revoked and not expired."""
        return self.live().filter(accepted_at__isnull=False)

    def live(self):
        """Shares not revoked nor expired, of facilities not deleted: in force, or
        offered and waiting."""
        today = timezone.localdate()
        return self.filter(revoked_at__isnull=True, facility__deleted_at__isnull=True).filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=today)
        )

    def offered(self):
        """Offers a partner has not answered yet."""
        return self.live().filter(accepted_at__isnull=True)


class Share(models.Model):
    """A facility's results shared, read-only, with a partner organisation."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="shares")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="shares")
    all_rounds = models.BooleanField(default=True)
    rounds = models.ManyToManyField(Round, blank=True, related_name="shares")
    include_strategies = models.BooleanField(default=True)
    # Results by role can expose small groups, so they are shared only when ticked.
    include_roles = models.BooleanField(default=False)
    expires_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # None while it is an offer: the partner sees nothing until a member accepts.
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ShareQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "partner"],
                condition=Q(revoked_at__isnull=True),
                name="one_live_share_per_partner",
            )
        ]

    def __str__(self):
        return f"{self.facility} → {self.partner}"


class AuditEvent(models.Model):
    """Who did what, and when. Written by services, never edited through the app."""

    class Action(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        TWO_FACTOR_ON = "two_factor_on", _("Two-step sign-in turned on")
        TWO_FACTOR_OFF = "two_factor_off", _("Two-step sign-in turned off")
        RECOVERY_CODES_REPLACED = "recovery_codes_replaced", _("New recovery codes")
        TWO_FACTOR_RESET = "two_factor_reset", _("Two-step sign-in reset by an operator")
        MEMBER_INVITED = "member_invited", _("Member invited")
        INVITATION_REVOKED = "invitation_revoked", _("Invitation revoked")
        MEMBER_JOINED = "member_joined", _("Member joined")
        MEMBER_CHANGED = "member_changed", _("Member's role changed")
        MEMBER_REMOVED = "member_removed", _("Member removed")
        SHARE_GRANTED = "share_granted", _("Results offered to a partner")
        SHARE_ACCEPTED = "share_accepted", _("Partner accepted the shared results")
        SHARE_DECLINED = "share_declined", _("Partner declined the shared results")
        SHARE_REVOKED = "share_revoked", _("Share revoked")
        ROUND_OPENED = "round_opened", _("Round opened")
        ROUND_CLOSED = "round_closed", _("Round closed")
        ROUND_REOPENED = "round_reopened", _("Round reopened")
        LINK_REGENERATED = "link_regenerated", _("Round link replaced")
        EXPORTED = "exported", _("Data downloaded")
        DOWNLOAD_PREPARED = "download_prepared", _("Download prepared")
        NETWORK_ANSWERS_GRANTED = (
            "network_answers_granted",
            _("Network allowed to download answers"),
        )
        NETWORK_ANSWERS_REVOKED = (
            "network_answers_revoked",
            _("Network no longer allowed to download answers"),
        )
        BENCHMARKS_JOINED = "benchmarks_joined", _("Joined peer comparisons")
        BENCHMARKS_LEFT = "benchmarks_left", _("Left peer comparisons")
        MIN_GROUP_CHANGED = "min_group_changed", _("Smallest group shown changed")
        FLAGGED_EXCLUDED = "flagged_excluded", _("Flagged responses left out")
        FLAGGED_INCLUDED = "flagged_included", _("Flagged responses counted again")
        FACILITY_VERIFIED = "facility_verified", _("Facility verified")
        ROUND_DELETED = "round_deleted", _("Round deleted")
        FACILITY_DELETED = "facility_deleted", _("Facility deleted")
        FACILITY_RESTORED = "facility_restored", _("Facility restored")

    # An account's own events, recorded without a facility: the audit log of each
    # facility the account belongs to shows them (views/owner.audit_log).
    ACCOUNT_EVENTS = (
        Action.SIGNED_IN,
        Action.TWO_FACTOR_ON,
        Action.TWO_FACTOR_OFF,
        Action.RECOVERY_CODES_REPLACED,
        Action.TWO_FACTOR_RESET,
    )

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as text too, so the log still says who it was after an account is deleted.
    username = models.CharField(max_length=150, blank=True)
    facility = models.ForeignKey(
        Facility, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    action = models.CharField(max_length=30, choices=Action.choices)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.username} {self.action}"


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


# --- Action plans ----------------------------------------------------------------------


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


# --- Intervention inventory --------------------------------------------------------------


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


class PreparedDownload(models.Model):
    """An answer-level download prepared in the background (services/downloads.py): asked
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
    # (killed, machine restarted) is seen by its silence (services/downloads.py).
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
