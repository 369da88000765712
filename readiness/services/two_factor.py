"""Two-step (two-factor) sign-in: a code from an authenticator app (TOTP) after the
password, and single-use recovery codes for a lost phone (docs/security.md, Two-step
sign-in).

django-otp keeps the devices, checks codes (with clock drift and a growing wait after
each wrong code) and marks a session as verified (DEVICE_ID_SESSION_KEY). What is ours:
who must use it, and the sign-in in two steps, in which the password alone never makes a
signed-in session for an account that has an authenticator.
"""

import math
import time
from base64 import b32encode
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from readiness.models import AuditEvent, Membership, NetworkLeader, PartnerMembership
from readiness.services.audit import record

# The sign-in's first step, passed: whose password it was, when, and where to go after.
PENDING = "readiness_two_factor_pending"
# The authenticator this session is setting up, and since when.
SETTING_UP = "readiness_two_factor_setting_up"
APP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
# The wait after a wrong code doubles (1, 2, 4 … seconds) up to 2**9 s, under 9 minutes:
# a few tries an hour at one code in a million, and never a longer lock-out.
WAIT_DOUBLINGS = 10


@dataclass(frozen=True)
class Standing:
    """Whether the account has an authenticator app, and whether it must."""

    has_app: bool
    required: bool


def standing(user) -> Standing:
    """One query: owners of a facility, members of a partner organisation and network
    leaders see results that are not theirs alone, so they must use a second factor."""
    mine = {"user": OuterRef("pk")}
    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .values_list(
            Exists(TOTPDevice.objects.filter(confirmed=True, **mine)),
            Exists(Membership.objects.filter(level=Membership.Level.OWNER, **mine)),
            Exists(PartnerMembership.objects.filter(**mine)),
            Exists(NetworkLeader.objects.filter(**mine)),
        )
        .first()
    )
    if row is None:
        return Standing(has_app=False, required=False)
    has_app, *roles = row
    return Standing(has_app=has_app, required=any(roles))


# session_device(): the session passed a second step with a device that no longer is.
GONE = object()


def session_device(session, user):
    """The device this session passed the second step with (at sign-in, or when setting
    the app up); None if it passed none; GONE if that device was removed since (turned
    off, or reset by an operator), or is not this account's. One query, when it passed."""
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    if not persistent_id:
        return None
    device = Device.from_persistent_id(persistent_id)
    if device is None or device.user_id != user.pk or not device.confirmed:
        return GONE
    return device


def app_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(
        device__user=user, device__name=RECOVERY_NAME, device__confirmed=True
    ).count()


# Setting up


def device_being_set_up(request) -> TOTPDevice:
    """This session's unconfirmed authenticator: kept for SETUP_SECONDS, so that reloading
    the page does not undo a QR code already scanned, but never shown to another session
    (someone who glimpsed a key on a shared computer cannot wait for it to be used)."""
    user = request.user
    state = request.session.get(SETTING_UP) or {}
    device = None
    if time.time() - state.get("at", 0) <= settings.TWO_FACTOR_SETUP_SECONDS:
        device = TOTPDevice.objects.filter(
            pk=state.get("device"), user=user, confirmed=False
        ).first()
    if device is None:
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=False)
        request.session[SETTING_UP] = {"device": device.pk, "at": int(time.time())}
    return device


def secret_for_typing(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for apps that cannot scan."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def confirm_app(request, device: TOTPDevice, code: str) -> "Check":
    """Confirm the authenticator with a code it shows; on success the session counts as
    verified and the account gets its first recovery codes (``Check.codes``, shown once)."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    check = _verify(device, normalise(code), recovery=False)
    if check.device is None:
        return check
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    request.session.pop(SETTING_UP, None)
    # a new session key for the session that now counts as having passed both steps
    request.session.cycle_key()
    request.user.otp_device = device
    otp_login(request, device)
    record(action=AuditEvent.Action.TWO_FACTOR_ON, user=device.user)
    return Check(device, recovery=False, codes=new_recovery_codes(device.user, first=True))


@transaction.atomic
def new_recovery_codes(user, *, first: bool = False) -> list[str]:
    """Replace the account's recovery codes: the old ones stop working at once."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.throttle_reset(commit=True)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    if not first:  # the first ones come with turning it on
        record(action=AuditEvent.Action.RECOVERY_CODES_REPLACED, user=user)
    return codes


@transaction.atomic
def turn_off(request, user) -> None:
    """Every other session that passed the second step is signed out at its next page
    (middleware.two_factor_required); this one goes on without it."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).delete()
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    record(action=AuditEvent.Action.TWO_FACTOR_OFF, user=user)


@transaction.atomic
def forget_devices(user) -> int:
    """For an operator, when someone has lost both their phone and their recovery codes
    (manage.py reset_two_factor). Every session that passed the second step with them is
    signed out at its next page (middleware.two_factor_required)."""
    apps, _ = TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).delete()
    if apps:
        record(action=AuditEvent.Action.TWO_FACTOR_RESET, user=user)
    return apps


# Signing in


def start_sign_in(request, user, *, next_url: str) -> None:
    """The password was right: remember whose it was for TWO_FACTOR_PENDING_SECONDS,
    without signing in."""
    request.session[PENDING] = {
        "user": user.pk,
        "backend": user.backend,
        "at": int(time.time()),
        "next": next_url,
        "failures": 0,
    }


@dataclass(frozen=True)
class Pending:
    user: object
    backend: str
    next_url: str
    failures: int


def pending_sign_in(request) -> Pending | None:
    state = request.session.get(PENDING)
    if not state or time.time() - state["at"] > settings.TWO_FACTOR_PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user = get_user_model().objects.filter(pk=state["user"], is_active=True).first()
    if user is None:
        return None
    return Pending(user, state["backend"], state["next"], state["failures"])


def count_failure(request) -> int:
    """One more wrong code in this sign-in; after TWO_FACTOR_CODE_ATTEMPTS the password
    step must be passed again (and counts against the password limits again)."""
    state = request.session[PENDING]
    state["failures"] += 1
    if state["failures"] >= settings.TWO_FACTOR_CODE_ATTEMPTS:
        del request.session[PENDING]
    else:
        request.session[PENDING] = state
    return state["failures"]


def normalise(code: str) -> str:
    """Codes as people type them: with spaces, or a recovery code with its hyphen or in
    capitals."""
    return "".join(code.split()).replace("-", "").lower()


@dataclass(frozen=True)
class Check:
    """What a typed code did: the device that accepted it, if any; how long to wait
    before the next try, if tries are paused; new recovery codes, when setting up."""

    device: object | None
    recovery: bool
    wait_seconds: int = 0
    codes: list[str] | None = None


def check_code(user, code: str) -> Check:
    """Six digits are checked against the authenticator app, anything else against the
    recovery codes (each works once). A wrong code makes the next try wait longer
    (django-otp's throttling: 1, 2, 4 … seconds); while it waits, nothing is checked."""
    code = normalise(code)
    recovery = not (len(code) == 6 and code.isdigit())
    devices = (
        StaticDevice.objects.filter(name=RECOVERY_NAME) if recovery else TOTPDevice.objects.all()
    )
    with transaction.atomic():
        device = devices.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            return Check(None, recovery)
        return _verify(device, code, recovery=recovery)


def _verify(device, code: str, *, recovery: bool) -> Check:
    if device.throttling_failure_count > WAIT_DOUBLINGS:
        # django-otp doubles the wait after each wrong code without end, so someone who
        # has the password could keep the owner out for days with wrong codes.
        device.throttling_failure_count = WAIT_DOUBLINGS
    allowed, why = device.verify_is_allowed()
    if not allowed:
        until = (why or {}).get("locked_until")
        seconds = math.ceil(until.timestamp() - time.time()) if until else 1
        return Check(None, recovery, wait_seconds=max(1, seconds))
    return Check(device if device.verify_token(code) else None, recovery)
