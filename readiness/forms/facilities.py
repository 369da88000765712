"""A facility and its rounds: setting one up, opening a round, its smallest group, whether
flagged responses join its results, asking for its answers, deleting it."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from readiness.models import Facility, PreparedDownload, Round

RESERVED_SLUGS = frozenset(
    {"new", "create", "edit", "delete", "admin", "api", "export", "import", "search", "all"}
)


SLUG_UNAVAILABLE = _("This short name cannot be used. Choose another.")


class FacilityForm(forms.ModelForm):
    """A new facility. A short name that is taken and one that is reserved get the same
    answer, so that the form never confirms that some other facility exists."""

    class Meta:
        model = Facility
        fields = ["name", "slug", "type", "state", "setting"]
        labels = {
            "name": _("Facility name"),
            "slug": _("Short name for web addresses"),
            "type": _("Type of facility"),
            "setting": _("Setting"),
        }
        help_texts = {
            "slug": _("Lower-case letters, numbers and hyphens, for example mercy-clinic."),
            "setting": _("Optional."),
        }

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS or Facility.all_objects.filter(slug=slug).exists():
            raise ValidationError(SLUG_UNAVAILABLE)
        return slug

    def validate_unique(self):
        """Nothing more: clean_slug has answered for the one unique field, in words that
        reveal nothing."""


class RoundForm(forms.ModelForm):
    alongside_open = forms.BooleanField(
        required=False,
        label=_("Run it alongside the round that is still open"),
        help_text=_(
            "For example, one round for each campus. Otherwise, close the open round first."
        ),
    )

    class Meta:
        model = Round
        fields = ["label", "intervention", "publish_at_close"]
        labels = {
            "label": _("Name of this round"),
            "intervention": _("Intervention you are preparing for (optional)"),
            "publish_at_close": _("Show results only when the round closes"),
        }
        help_texts = {
            "label": _("For example \u201cSpring 2026\u201d."),
            "publish_at_close": _(
                "Needed for results by role, which are shown only for results published "
                "all at once. Otherwise results appear while people answer, in steps as "
                "more people finish, without results by role."
            ),
        }

    def __init__(self, *args, facility, **kwargs):
        super().__init__(*args, **kwargs)
        self.facility = facility
        if not facility.rounds.filter(status=Round.Status.OPEN).exists():
            del self.fields["alongside_open"]  # only asked while a round is open

    def clean_label(self):
        label = self.cleaned_data["label"].strip()
        if Round.objects.filter(facility=self.facility, label=label).exists():
            raise forms.ValidationError(_("This facility already has a round with that name."))
        return label


class MinGroupForm(forms.Form):
    """The owners' choice of the smallest group shown: raised, never lowered (two views of
    the same results under two minimums could hide different cells)."""

    MAXIMUM = 50

    min_group = forms.IntegerField(
        label=_("Smallest group shown"),
        max_value=MAXIMUM,
        help_text=_(
            "No result is shown for fewer people than this, in any role, chart or download."
        ),
    )

    def __init__(self, *args, current: int, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["min_group"]
        field.min_value = current
        field.validators.append(MinValueValidator(current))
        field.widget.attrs["min"] = current


class AnswerDownloadForm(forms.Form):
    """What an answer-level download is to hold (services/downloads.request_download):
    the format, and for a facility's own, whether people not yet in the published results
    are included. A network's file is never JSON (one document per facility) and never
    holds them."""

    format = forms.ChoiceField()
    unfinished = forms.BooleanField(
        label=_(
            "also people not in the published results yet (still answering, or finished "
            "since the last update)"
        ),
        required=False,
        widget=forms.CheckboxInput(
            attrs={"class": "form-check-input", "id": "download-unfinished"}
        ),
    )

    def __init__(self, *args, network: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        Format = PreparedDownload.Format
        offered = [Format.CSV, Format.CSV_ZIP, Format.XLSX] + ([] if network else [Format.JSON])
        self.fields["format"].choices = [(f.value, f.label) for f in offered]
        if network:
            del self.fields["unfinished"]


class ConfirmDeleteForm(forms.Form):
    """Deleting needs the thing's name typed out: a slip of the mouse must not do it."""

    confirm = forms.CharField(label=_("Type the name to confirm"))

    def __init__(self, *args, expected: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_confirm(self):
        if self.cleaned_data["confirm"].strip() != self.expected:
            raise forms.ValidationError(
                _("That does not match \u201c%(name)s\u201d. Nothing was deleted.")
                % {"name": self.expected}
            )
        return self.cleaned_data["confirm"]


class ExcludeFlaggedForm(forms.Form):
    """The owners' choice for a round (templates/dashboard/_quality.html renders it)."""

    exclude = forms.BooleanField(
        label=_("Keep responses flagged by the quality checks out of the results"),
        required=False,
        widget=forms.CheckboxInput(
            attrs={
                "class": "form-check-input",
                "id": "exclude-flagged",
                "aria-describedby": "exclude-flagged-help",
            }
        ),
    )
