"""The action plan's steps and the inventory of the interventions a facility has."""

from django import forms
from django.utils.translation import gettext_lazy as _

from readiness.models import ActionItem, FacilityIntervention


class ActionItemStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=ActionItem.Status.choices,
        error_messages={
            "required": _("Choose one of the statuses shown."),
            "invalid_choice": _("Choose one of the statuses shown."),
        },
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    @classmethod
    def for_item(cls, item: ActionItem) -> "ActionItemStatusForm":
        """The form of one item on the plan page, whose ids are the item's own."""
        return cls(initial={"status": item.status}, auto_id=f"status-{item.pk}-%s")


class ActionItemForm(forms.ModelForm):
    class Meta:
        model = ActionItem
        fields = ["title", "owner_name", "owner_member", "due_on", "status", "note"]
        labels = {
            "title": _("What will be done"),
            "owner_name": _("Who leads it (name or team)"),
            "owner_member": _("Or a member of this facility"),
            "due_on": _("Due date"),
            "note": _("Notes"),
        }
        widgets = {
            "due_on": forms.DateInput(attrs={"type": "date"}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, facility, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_member"].queryset = facility.members.all()
        self.fields["owner_member"].required = False


class InventoryForm(forms.Form):
    """One status and date per intervention of the catalogue; ``read_only`` for the
    members who may read the inventory but not change it."""

    def __init__(self, *args, interventions, read_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.interventions = interventions
        for intervention in interventions:
            self.fields[f"status-{intervention.pk}"] = forms.ChoiceField(
                label=intervention.name,
                choices=[("", _("Not recorded"))] + FacilityIntervention.Status.choices,
                required=False,
                disabled=read_only,
                error_messages={"invalid_choice": _("Choose one of the statuses shown.")},
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.fields[f"since-{intervention.pk}"] = forms.DateField(
                label=_("Since (date)"),
                required=False,
                disabled=read_only,
                widget=forms.DateInput(
                    format="%Y-%m-%d",
                    attrs={"type": "date", "class": "form-control form-control-sm"},
                ),
            )

    def full_clean(self):
        super().full_clean()
        # A field in error says so in colour and, through its message's id, to screen
        # readers (Django marks it aria-invalid itself); the template writes the message.
        for name in self._errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs["class"].split():
                    attrs["class"] += " is-invalid"
                attrs["aria-describedby"] = f"{self[name].auto_id}-error"

    def rows(self):
        return [(i, self[f"status-{i.pk}"], self[f"since-{i.pk}"]) for i in self.interventions]

    def statuses(self) -> dict:
        return {
            i.pk: (self.cleaned_data[f"status-{i.pk}"], self.cleaned_data[f"since-{i.pk}"])
            for i in self.interventions
        }
