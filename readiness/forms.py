from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from readiness.models import Answer, Facility, Item, Role, Round

SCALE_CHOICES = [
    ("1", _("Strongly disagree")),
    ("2", _("Disagree")),
    ("3", _("Neither agree nor disagree")),
    ("4", _("Agree")),
    ("5", _("Strongly agree")),
]
OTHER_CHOICES = [
    ("DK", _("Don't know")),
    ("NA", _("Does not apply to me")),
]


class StartForm(forms.Form):
    role = forms.ModelChoiceField(
        queryset=Role.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        label=_("Which best describes your role?"),
        error_messages={
            "required": _("Please choose the role that fits you best."),
            "invalid_choice": _("Please choose one of the roles shown."),
        },
    )
    # Random per page view; see services.responses.start_respondent.
    nonce = forms.RegexField(regex=r"^[A-Za-z0-9_-]{20,64}$", widget=forms.HiddenInput)

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = roles


class PageForm(forms.Form):
    """One page of the questionnaire: each item is its own required radio group."""

    def __init__(self, *args, items: list[Item], partial: bool = False, **kwargs):
        """``partial``: unanswered items are allowed (saving before going back or
        stopping for later); otherwise every item needs an answer."""
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[self.field_name(item)] = forms.ChoiceField(
                label=item.text,
                required=not partial,
                choices=SCALE_CHOICES + OTHER_CHOICES,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Please choose an answer, or \u201cDon't know\u201d."),
                    "invalid_choice": _("Please choose one of the answers shown."),
                },
            )

    @staticmethod
    def field_name(item: Item) -> str:
        return f"item-{item.code}"

    @staticmethod
    def initial_for(answers, items: list[Item]) -> dict[str, str]:
        """The form's initial values from stored answers to these items."""
        item_by_id = {item.pk: item for item in items}
        initial = {}
        for answer in answers:
            name = PageForm.field_name(item_by_id[answer.item_id])
            if answer.kind == Answer.Kind.SCALE:
                initial[name] = str(answer.value)
            else:
                initial[name] = "DK" if answer.kind == Answer.Kind.DONT_KNOW else "NA"
        return initial

    def answers(self) -> dict[int, tuple[str, int | None]]:
        """{item id: (kind, value)} from the cleaned data."""
        result = {}
        for item in self.items:
            choice = self.cleaned_data.get(self.field_name(item))
            if not choice:
                continue
            if choice == "DK":
                result[item.pk] = (Answer.Kind.DONT_KNOW, None)
            elif choice == "NA":
                result[item.pk] = (Answer.Kind.NOT_APPLICABLE, None)
            else:
                result[item.pk] = (Answer.Kind.SCALE, int(choice))
        return result

    def entries(self) -> list["ItemEntry"]:
        """What the template needs for each item, in page order.

        Lighter than iterating Django's radio subwidgets: the template renders the same
        seven choices for every item from one list (see questionnaire/page.html).
        """
        entries = []
        for item in self.items:
            field = self[self.field_name(item)]
            entries.append(
                ItemEntry(
                    item=item,
                    name=field.html_name,
                    auto_id=field.auto_id,
                    selected=str(field.value() or ""),
                    error=field.errors[0] if field.errors else "",
                )
            )
        return entries


@dataclass(frozen=True)
class ItemEntry:
    item: Item
    name: str
    auto_id: str
    selected: str
    error: str


class FacilityForm(forms.ModelForm):
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


class RoundForm(forms.ModelForm):
    class Meta:
        model = Round
        fields = ["label"]
        labels = {"label": _("Name of this round")}
        help_texts = {"label": _("For example \u201cSpring 2026\u201d.")}

    def __init__(self, *args, facility, **kwargs):
        super().__init__(*args, **kwargs)
        self.facility = facility

    def clean_label(self):
        label = self.cleaned_data["label"].strip()
        if Round.objects.filter(facility=self.facility, label=label).exists():
            raise forms.ValidationError(_("This facility already has a round with that name."))
        return label
