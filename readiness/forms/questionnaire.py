"""The respondents' forms: choosing a role, and one page of statements. Their words are
in the Spanish catalogue with the rest of what respondents read (docs/translating.md)."""

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from readiness.models import Answer, Item, Role

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


def answer_choices(instrument) -> list[tuple[str, str]]:
    """The answers a respondent may give to a statement of this instrument version."""
    if instrument.offers_not_applicable:
        return SCALE_CHOICES + OTHER_CHOICES
    return SCALE_CHOICES + OTHER_CHOICES[:1]


class RoleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.in_language("name")  # in the language of the page


class StartForm(forms.Form):
    role = RoleChoiceField(
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

    # Signed when the page is shown (services/quality.page_shown_value), to measure the
    # time spent on it; never required, since a bad value only counts no time.
    shown_at = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        items: list[Item],
        choices=SCALE_CHOICES + OTHER_CHOICES,
        partial: bool = False,
        **kwargs,
    ):
        """``partial``: unanswered items are allowed (saving before going back or
        stopping for later); otherwise every item needs an answer. ``choices``: the
        instrument's (``answer_choices``)."""
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[self.field_name(item)] = forms.ChoiceField(
                label=item.text,
                required=not partial,
                choices=choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Please choose an answer, or “Don't know”."),
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


# Words that are, or may become, pages of their own under /facilities/.
