"""Signing up from an invitation, signing in, and the second step's code."""

import unicodedata

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def passes_for_another(text: str) -> bool:
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
