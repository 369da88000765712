"""Signing in and resetting a password, with limits that an attacker cannot turn against
the people they target (docs/security.md)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.shortcuts import redirect, render
from django_ratelimit.core import is_ratelimited

from readiness.forms import SignInForm, sign_in_name
from readiness.models import AuditEvent, Facility
from readiness.ratelimits import used_up
from readiness.services import two_factor
from readiness.services.audit import record_for_facilities

FAILURES_GROUP = "sign-in-failures-per-address"
ACCOUNT_FAILURES_GROUP = "sign-in-failures-per-account"


def _typed_username(request) -> str:
    """As the form will see it, so that a full-width or capitalised twin of a username
    meets the same limit (forms.sign_in_name)."""
    return sign_in_name(request.POST.get("username", "")[:300])


def _account_failures(request, *, increment: bool, username: str) -> bool:
    """Whether the account named has failed more often than SIGN_IN_FAILURES_PER_ACCOUNT
    allows, from all addresses together (guessing spread over many addresses)."""
    username = username.strip().casefold()[:150]
    if not username:
        return False
    return used_up(
        request,
        group=ACCOUNT_FAILURES_GROUP,
        key=lambda group, request: username,
        rate=settings.SIGN_IN_FAILURES_PER_ACCOUNT,
        increment=increment,
    )


def _address_failures(request, *, increment: bool) -> bool:
    """Whether this address has failed to sign in more often than
    SIGN_IN_FAILURES_PER_ADDRESS allows (counted in the cache, under a hash of it)."""
    return used_up(
        request,
        group=FAILURES_GROUP,
        key="ip",
        rate=settings.SIGN_IN_FAILURES_PER_ADDRESS,
        increment=increment,
    )


def sign_in_refused(request, *, username: str) -> bool:
    """Whether this address, or the account named, has used up its failed sign-ins."""
    return _address_failures(request, increment=False) or _account_failures(
        request, increment=False, username=username
    )


class SignInView(auth_views.LoginView):
    """django-axes locks an account only from the address that failed on it (the owner
    typing the right password elsewhere still gets in); an address failing on many
    accounts is stopped here, at a limit generous enough for a hospital's one address.

    An account with an authenticator app is not signed in by its password alone: the
    password leads to the code step (views/two_factor.verify)."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if sign_in_refused(request, username=_typed_username(request)):
            return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        if two_factor.standing(user).has_app:
            two_factor.start_sign_in(self.request, user, next_url=self.get_success_url())
            return redirect("two-factor-verify")
        return super().form_valid(form)


def sign_in_failed(sender, credentials, request=None, **kwargs):
    """user_login_failed: one more failure for the address, and an event in the audit log
    of each facility the named account belongs to (no address is recorded)."""
    if request is None:
        return
    _record_failure(request, username=str(credentials.get("username", "")))


def second_factor_failed(request, *, user):
    """A wrong code after the right password counts as a failed sign-in too."""
    _record_failure(request, username=user.get_username())


def _record_failure(request, *, username: str):
    _address_failures(request, increment=True)
    _account_failures(request, increment=True, username=username)
    username = username[:150]
    facilities = Facility.objects.filter(memberships__user__username=username).distinct()
    record_for_facilities(
        action=AuditEvent.Action.SIGN_IN_FAILED,
        user=None,
        facilities=list(facilities),
        username=username,
    )


def _email(group, request) -> str:
    return request.POST.get("email", "").strip().casefold()


class SiteAddressResetForm(PasswordResetForm):
    """Reset links start with SITE_ROOT where it is set (always, in production), not with
    whatever host a request named."""

    def save(self, **kwargs):
        if settings.SITE_ROOT:
            site = urlsplit(settings.SITE_ROOT)
            kwargs.update(domain_override=site.netloc, use_https=site.scheme == "https")
        return super().save(**kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    """At most PASSWORD_RESETS_PER_ADDRESS and PASSWORD_RESETS_PER_EMAIL requests an
    hour; beyond them nothing is sent, and the page says what it always says, so it
    reveals neither the limit nor whether the address has an account."""

    form_class = SiteAddressResetForm

    def form_valid(self, form):
        limited = [
            is_ratelimited(
                self.request,
                group=f"password-reset-{'address' if key == 'ip' else 'email'}",
                key=key,
                rate=rate,
                increment=True,
            )
            for key, rate in (
                ("ip", settings.PASSWORD_RESETS_PER_ADDRESS),
                # any case and spacing of one address counts as that address
                (_email, settings.PASSWORD_RESETS_PER_EMAIL),
            )
        ]
        if any(limited):
            return redirect(self.get_success_url())
        return super().form_valid(form)
