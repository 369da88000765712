"""Two-factor sign-in for staff: the code step of signing in, setting up an authenticator
app, recovery codes and turning it off (readiness/services/two_factor.py)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from readiness.forms import TwoFactorCodeForm
from readiness.qr import qr_svg
from readiness.services import two_factor
from readiness.views import accounts

# Few enough left that it is time to print new ones.
FEW_RECOVERY_CODES = 3


def _next(request, fallback: str) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def verify(request):
    """The second step of signing in, for accounts with an authenticator app. Wrong codes
    count as failed sign-ins of the account and the address (views/accounts.py); after
    TWO_FACTOR_CODE_ATTEMPTS of them the password is asked for again."""
    pending = two_factor.pending_sign_in(request)
    if pending is None:
        messages.info(request, _("Please sign in again."))
        return redirect("login")
    form = TwoFactorCodeForm(request.POST or None, recovery=True)
    if request.method == "POST" and form.is_valid():
        if accounts.sign_in_refused(request, username=pending.user.get_username()):
            return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)
        check = two_factor.check_code(pending.user, form.cleaned_data["code"])
        if check.device is not None:
            pending.user.otp_device = check.device  # django-otp marks the session at login
            login(request, pending.user, backend=pending.backend)
            request.session.pop(two_factor.PENDING, None)
            if check.recovery:
                _recovery_code_used(request, pending.user)
            return redirect(pending.next_url)
        if check.wait_seconds:
            form.add_error("code", _wait(check.wait_seconds))
        else:
            accounts.second_factor_failed(request, user=pending.user)
            if two_factor.count_failure(request) >= settings.TWO_FACTOR_CODE_ATTEMPTS:
                messages.error(request, _("Too many wrong codes. Sign in again."))
                return redirect("login")
            form.add_error("code", _("That code is not right. Check it and try again."))
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "pending_minutes": settings.TWO_FACTOR_PENDING_SECONDS // 60},
    )


def _wait(seconds: int) -> str:
    if seconds < 10:
        return _("Too many wrong codes. Wait a few seconds, then try again.")
    minutes = max(1, round(seconds / 60))
    return ngettext(
        "Too many wrong codes. Wait about %(minutes)d minute, then try again.",
        "Too many wrong codes. Wait about %(minutes)d minutes, then try again.",
        minutes,
    ) % {"minutes": minutes}


def _recovery_code_used(request, user):
    left = two_factor.recovery_codes_left(user)
    text = ngettext(
        "You signed in with a recovery code; it will not work again. %(left)d code is left.",
        "You signed in with a recovery code; it will not work again. %(left)d codes are left.",
        left,
    ) % {"left": left}
    if left <= FEW_RECOVERY_CODES:
        text += " " + _("Get new recovery codes on the two-factor page.")
    messages.warning(request, text)


@login_required
def overview(request):
    user = request.user
    standing = two_factor.standing(user)
    return render(
        request,
        "two_factor/overview.html",
        {
            "standing": standing,
            "codes_left": two_factor.recovery_codes_left(user) if standing.has_app else 0,
            "form": TwoFactorCodeForm(recovery=True),
            "codes_form": TwoFactorCodeForm(recovery=True, prefix="codes"),
        },
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
@require_http_methods(["GET", "POST"])
def set_up(request):
    """Scan (or type) the secret into an app, then type the code it shows. The recovery
    codes are shown once, on the page that answers the confirmation, and kept nowhere
    else in readable form outside the database."""
    user = request.user
    if two_factor.app_device(user) is not None:
        return redirect("two-factor")
    device = two_factor.device_being_set_up(request)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = two_factor.confirm_app(request, device, form.cleaned_data["code"])
        if check.codes is not None:
            return render(
                request,
                "two_factor/recovery_codes.html",
                {"codes": check.codes, "next": _next(request, "")},
            )
        form.add_error(
            "code",
            _wait(check.wait_seconds)
            if check.wait_seconds
            else _(
                "That code is not right. Check that the app shows Readiness, and that "
                "your phone's clock is set automatically."
            ),
        )
    return render(
        request,
        "two_factor/set_up.html",
        {
            "form": form,
            "qr_code": qr_svg(
                device.config_url, label=_("QR code for your authenticator app"), size=200
            ),
            "secret": two_factor.secret_for_typing(device),
            "required": two_factor.standing(user).required,
            "next": _next(request, ""),
            "setup_minutes": settings.TWO_FACTOR_SETUP_SECONDS // 60,
        },
    )


@never_cache
@sensitive_post_parameters("codes-code")
@login_required
@require_POST
def recovery_codes(request):
    """New codes replace the old ones, with a current code, so that a computer left
    signed in cannot be used to take the codes (or to cancel the person's own)."""
    user = request.user
    if two_factor.app_device(user) is None:
        return redirect("two-factor")
    form = TwoFactorCodeForm(request.POST, recovery=True, prefix="codes")
    if form.is_valid():
        check = two_factor.check_code(user, form.cleaned_data["code"])
        if check.device is not None:
            codes = two_factor.new_recovery_codes(user)
            return render(request, "two_factor/recovery_codes.html", {"codes": codes, "next": ""})
        form.add_error("code", _refusal(request, check))
    return _overview_again(request, codes_form=form)


@sensitive_post_parameters("code")
@login_required
@require_POST
def turn_off(request):
    """Only for accounts that do not have to use it, and only with a current code, so that
    someone at a computer left signed in cannot remove it."""
    user = request.user
    standing = two_factor.standing(user)
    form = TwoFactorCodeForm(request.POST, recovery=True)
    if standing.required:
        messages.error(request, _("Owners and partner and network members must keep it on."))
        return redirect("two-factor")
    if form.is_valid():
        check = two_factor.check_code(user, form.cleaned_data["code"])
        if check.device is not None:
            two_factor.turn_off(request, user)
            messages.success(request, _("Two-step sign-in is off."))
            return redirect("two-factor")
        form.add_error("code", _refusal(request, check))
    return _overview_again(request, form=form)


def _refusal(request, check) -> str:
    if check.wait_seconds:
        return _wait(check.wait_seconds)
    # a wrong code here is a guess at the second step too
    accounts.second_factor_failed(request, user=request.user)
    return _("That code is not right. Nothing was changed.")


def _overview_again(request, **forms):
    user = request.user
    context = {
        "standing": two_factor.standing(user),
        "codes_left": two_factor.recovery_codes_left(user),
        "form": TwoFactorCodeForm(recovery=True),
        "codes_form": TwoFactorCodeForm(recovery=True, prefix="codes"),
    }
    return render(request, "two_factor/overview.html", context | forms, status=400)
