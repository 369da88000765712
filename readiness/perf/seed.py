"""Bulk synthetic data for the benchmark: many facilities, rounds and answers.

Rows are written with bulk_create in large batches, and respondents' scores are computed
by the same SQL as in production (scoring.respondent_scores), one facility at a time.
"""

import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from readiness.models import (
    Answer,
    DeterminantScore,
    Facility,
    Instrument,
    Item,
    Membership,
    Respondent,
    Role,
    Round,
)
from readiness.planner import refresh_statistics
from readiness.scoring import respondent_scores
from readiness.services.instrument import load_instrument
from readiness.services.releases import refresh_release

BENCH_PREFIX = "bench-"
BENCH_USER = "bench"
BENCH_PASSWORD = "bench-password"  # noqa: S105 - a local benchmark account


def ensure_instrument() -> Instrument:
    import json

    from django.conf import settings

    if Instrument.current() is None:
        path = settings.BASE_DIR / "fixtures" / "instrument.json"
        load_instrument(data=json.loads(path.read_text(encoding="utf-8")))
    return Instrument.current()


def bench_user(username: str = BENCH_USER):
    """A benchmark account with an authenticator app, as every owner and network leader
    has (services/two_factor.py); bench_code() is what the app would show."""
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_password(BENCH_PASSWORD)
        user.save()
    TOTPDevice.objects.get_or_create(user=user, defaults={"name": "bench", "confirmed": True})
    return user


def bench_code(username: str = BENCH_USER) -> str:
    """The authenticator's current code. A code works once; the benchmark signs in more
    often than every 30 seconds, so the last one used is forgotten first."""
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def signed_in_client(username: str = BENCH_USER) -> Client:
    """A test client signed in past both steps, as a person's browser is."""
    user = bench_user(username)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def add_round(facility, instrument, label, respondents, rng, *, status=Round.Status.CLOSED):
    """A round with `respondents` finished respondents answering every item."""
    items = list(Item.objects.filter(determinant__domain__instrument=instrument))
    roles = list(Role.objects.filter(instrument=instrument))
    with transaction.atomic():
        round_ = Round.objects.create(
            facility=facility, instrument=instrument, label=label, status=status
        )
        people = Respondent.objects.bulk_create(
            Respondent(
                round=round_,
                role=roles[n % len(roles)],
                status=Respondent.Status.FINISHED,
                import_id=f"b{n}",
            )
            for n in range(respondents)
        )
        Answer.objects.bulk_create(
            (
                Answer(respondent=person, item=item, kind=Answer.Kind.SCALE, value=value)
                if (value := rng.randint(0, 5))
                else Answer(respondent=person, item=item, kind=Answer.Kind.DONT_KNOW)
                for person in people
                for item in items
            ),
            batch_size=5000,
        )
        DeterminantScore.objects.bulk_create(
            respondent_scores([p.pk for p in people]), batch_size=5000
        )
        refresh_release(round_id=round_.pk)  # publish, as an import does
    return round_


def seed(*, facilities: int, rounds: int, respondents: int, stdout=None) -> None:
    """Facilities named bench-N, each with `rounds` rounds of `respondents` respondents.

    Idempotent: facilities that exist already are left as they are.
    """
    instrument = ensure_instrument()
    user = bench_user()
    rng = random.Random(42)
    existing = set(
        Facility.objects.filter(slug__startswith=BENCH_PREFIX).values_list("slug", flat=True)
    )
    for n in range(facilities):
        slug = f"{BENCH_PREFIX}{n}"
        if slug in existing:
            continue
        facility = Facility.objects.create(
            name=f"Benchmark facility {n}", slug=slug, type="fqhc", state="CA"
        )
        Membership.objects.create(user=user, facility=facility)
        for r in range(rounds):
            add_round(facility, instrument, f"Round {r + 1}", respondents, rng)
        if stdout and n % 25 == 0:
            stdout.write(f"  seeded {n + 1}/{facilities} facilities")
    refresh_statistics()
