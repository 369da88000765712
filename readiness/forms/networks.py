"""A network's pages: which sites to compare, on which rounds, and the questionnaire
version of the question-quality page."""

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from readiness.models import FacilityType, USState


class QuestionnaireVersionForm(forms.Form):
    """Which questionnaire version a page's figures are from, among ``versions``
    (Instruments, newest first)."""

    version = forms.ChoiceField(
        label=_("Questionnaire version"),
        widget=forms.Select(attrs={"class": "form-select w-auto d-inline-block"}),
    )

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.versions = {instrument.version: instrument for instrument in versions}
        self.fields["version"].choices = [(version, version) for version in self.versions]

    def chosen(self):
        """The version asked for, or else the newest; None when there is none."""
        if self.is_bound and self.is_valid():
            return self.versions[self.cleaned_data["version"]]
        return next(iter(self.versions.values()), None)


class ComparisonFilter(forms.Form):
    """Which of a network's sites to compare, and on which rounds (readiness/comparison/)."""

    type = forms.ChoiceField(
        label=_("Facility type"),
        required=False,
        choices=[("", _("All types"))] + FacilityType.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All states"))] + USState.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    opened_from = forms.DateField(
        label=_("Rounds opened from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    opened_to = forms.DateField(
        label=_("Rounds opened until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    include_open = forms.BooleanField(
        label=_("Include rounds still collecting answers"),
        help_text=_(
            "Without it, each site is compared on its latest closed round. With it, a "
            "site's round still collecting answers is used when it is the latest with "
            "results; it is marked as open, and its results can still change."
        ),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def as_query(self) -> QueryDict | None:
        """The filters written as the page writes them, so that one choice has one address
        (and one kept page); None when one is invalid."""
        if not self.is_valid():
            return None
        query = QueryDict(mutable=True)
        for name, value in self.cleaned_data.items():
            if value is True:
                query[name] = "on"
            elif value:
                query[name] = value.isoformat() if hasattr(value, "isoformat") else value
        return query
