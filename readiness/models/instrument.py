"""The instrument: Instrument, Role, Domain, Determinant, Item and Strategy, loaded from
fixtures/ and never edited in place. A new version is a new Instrument, so answers given to
an old version keep pointing at the items they answered."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Translated(models.Model):
    """Texts a respondent reads, in the languages besides the instrument's own English:
    ``{"es": {"text": "..."}}``, loaded from the instrument file's ``translations``
    (services/instrument/). Codes, scoring and English texts stay the reference: a
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
