"""Staff forms. The respondents' forms are in forms/questionnaire.py."""

import unicodedata

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from readiness.models import (
    ActionItem,
    Facility,
    FacilityIntervention,
    FacilityType,
    Membership,
    PreparedDownload,
    Round,
    USState,
)

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
        if _passes_for_another(email):
            raise ValidationError(
                _("Use letters from one alphabet only: this address could pass for another.")
            )
        return email


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


def _passes_for_another(text: str) -> bool:
    """Mixed scripts in ways that pass for another name (a Cyrillic "е" among Latin
    letters), after NFKC has made full-width and other compatibility forms plain."""
    from confusable_homoglyphs import confusables

    return bool(confusables.is_dangerous(text))


def account_address(email: str) -> str:
    """An e-mail address as an account's username: NFKC-normalised and in lower case, so
    that "Nurse.Lead@Example.org" and its full-width twin are one account."""
    return unicodedata.normalize("NFKC", email).strip().lower()


class SignUpForm(BaseUserCreationForm):
    """For people accepting an invitation who have no account yet. The account's username
    is the address the invitation was sent to, which cannot be changed here: nobody picks
    a username, so sign-up cannot tell anyone which usernames are taken."""

    email = forms.EmailField(label=_("E-mail address"), disabled=True)

    class Meta(BaseUserCreationForm.Meta):
        fields = ["email"]

    def __init__(self, *args, invited: str, **kwargs):
        super().__init__(*args, initial={"email": invited}, **kwargs)
        self.fields["email"].help_text = _("You will sign in with this address.")
        # before the password checks, which compare the password with the address
        self.instance.username = account_address(invited)

    def clean(self):
        """The only account this can reveal is the invited address's own, and only to
        whoever holds the link sent to that address."""
        cleaned = super().clean()
        username = self.instance.username
        users = get_user_model().objects
        if users.filter(username__iexact=username).exists() or (
            users.filter(email__iexact=cleaned.get("email", "")).exists()
        ):
            raise ValidationError(
                _(
                    "An account with this e-mail address exists already. Sign in with it "
                    "to accept the invitation."
                ),
                code="has_account",
            )
        return cleaned


def sign_in_name(typed: str) -> str:
    """The username a sign-in names, as the password check and every limit on failures
    see it: NFKC-normalised (as Django's UsernameField does), and an e-mail address in
    any case as the account that has it as its username (made from an invitation, or
    earlier with capitals), when exactly one has."""
    name = unicodedata.normalize("NFKC", typed).strip()
    if "@" not in name:
        return name
    matches = list(
        get_user_model()
        .objects.filter(username__iexact=name)
        .values_list("username", flat=True)[:2]
    )
    return matches[0] if len(matches) == 1 else account_address(name)


class SignInForm(AuthenticationForm):
    """The password step of signing in (views/accounts.SignInView). Accounts made from an
    invitation have their e-mail address as username, typed in any case."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("E-mail address or username")

    def clean_username(self):
        return sign_in_name(self.cleaned_data["username"])


class TwoFactorCodeForm(forms.Form):
    """A six-digit code from an authenticator app, or (where ``recovery``) one of the
    account's recovery codes."""

    code = forms.CharField(max_length=32, strip=True)

    def __init__(self, *args, recovery: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.widget.attrs.update(autocomplete="one-time-code", spellcheck="false")
        if recovery:
            field.label = _("Code from your authenticator app, or a recovery code")
            field.help_text = _("Six digits from the app, or one of your recovery codes.")
            field.widget.attrs.update(autocapitalize="none")
        else:
            field.label = _("Code from your authenticator app")
            field.help_text = _("Six digits. A new code appears every 30 seconds.")
            field.widget.attrs.update(inputmode="numeric")


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


class BenchmarkConsentForm(forms.Form):
    contributes = forms.BooleanField(
        label=_("Let our latest closed round count, anonymously, in other facilities' comparisons"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


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
