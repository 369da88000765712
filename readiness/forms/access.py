"""Who may read a facility's results: members and their levels, invitations, shares with
partners, the network's access to answers, joining the peer benchmarks."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from readiness.forms.accounts import account_address, passes_for_another
from readiness.models import Membership, Round


class InviteForm(forms.Form):
    # at most a username's length: the address becomes the new account's username
    email = forms.EmailField(label=_("E-mail address"), max_length=150)
    level = forms.ChoiceField(
        label=_("Role in this facility"),
        choices=Membership.Level.choices,
        initial=Membership.Level.VIEWER,
        help_text=_(
            "Owner: members, sharing, downloads and deletion. Editor: opens and closes "
            "rounds. Viewer: reads results."
        ),
    )

    def clean_email(self):
        """The address becomes the new account's username (SignUpForm), so it is held to
        the same rule: no letters from another alphabet passing for Latin ones."""
        email = account_address(self.cleaned_data["email"])
        if passes_for_another(email):
            raise ValidationError(
                _("Use letters from one alphabet only: this address could pass for another.")
            )
        return email


class MemberLevelForm(forms.Form):
    level = forms.ChoiceField(
        label=_("Role"),
        choices=Membership.Level.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    @classmethod
    def for_member(cls, membership: Membership) -> "MemberLevelForm":
        """The form of one member's row, whose ids are the member's own."""
        return cls(initial={"level": membership.level}, auto_id=f"level-{membership.pk}-%s")


class NetworkAnswerAccessForm(forms.Form):
    """The owners' choice (templates/members/list.html renders it): unticked revokes."""

    allowed = forms.BooleanField(
        label=_("Let our network's leaders download our answers, one row per person"),
        required=False,
        widget=forms.CheckboxInput(
            attrs={
                "class": "form-check-input",
                "id": "network-answers",
                "aria-describedby": "network-answers-help",
            }
        ),
    )


class ShareForm(forms.Form):
    """An offer of results to a partner, found by the code the partner gave the facility
    (no list of partner organisations is shown to anyone)."""

    partner_code = forms.CharField(
        label=_("The partner's sharing code"),
        max_length=40,
        help_text=_(
            "Ask the partner organisation for it, for example k7m4-p9qx-dw3n. They see "
            "nothing until one of them accepts your offer."
        ),
    )
    all_rounds = forms.BooleanField(
        label=_("Share every round, including future ones"), required=False, initial=True
    )
    rounds = forms.ModelMultipleChoiceField(
        label=_("Or only these rounds"),
        queryset=Round.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    include_strategies = forms.BooleanField(
        label=_("Include the recommended strategies"), required=False, initial=True
    )
    include_roles = forms.BooleanField(
        label=_("Include results by role and who answered"),
        required=False,
        help_text=_("Off by default: results by role concern small groups of staff."),
    )
    expires_on = forms.DateField(
        label=_("Stop sharing on (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, facility, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rounds"].queryset = Round.objects.filter(facility=facility)
        self.fields["rounds"].label_from_instance = lambda round_: round_.label

    def clean_partner_code(self):
        from readiness.services.access import partner_by_code

        partner = partner_by_code(self.cleaned_data["partner_code"])
        if partner is None:
            raise ValidationError(
                _("No partner organisation has this code. Check it with the partner.")
            )
        self.cleaned_data["partner"] = partner
        return self.cleaned_data["partner_code"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("all_rounds") and not cleaned.get("rounds"):
            raise forms.ValidationError(_("Choose at least one round, or share every round."))
        return cleaned


class BenchmarkConsentForm(forms.Form):
    contributes = forms.BooleanField(
        label=_("Let our latest closed round count, anonymously, in other facilities' comparisons"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
