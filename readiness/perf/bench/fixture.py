"""What the benchmark measures against: the seeded facilities' largest rounds, a network
of a typical size, networks up to a national one, and a partner many facilities share
with."""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from readiness.disclosure import released_summaries
from readiness.models import (
    Facility,
    Membership,
    Network,
    NetworkLeader,
    Partner,
    PartnerMembership,
    Role,
    Round,
    RoundRelease,
    Share,
)
from readiness.perf import seed
from readiness.planner import refresh_statistics
from readiness.services.responses import start_respondent

SIZES_SLUG = "bench-sizes"


NETWORK_SLUG = "bench-network"


NETWORK_SITES = 12  # a typical health-center network's size


LEADER = "bench-leader"


# Networks far larger than the seeded one, up to a national network (issue 12). Their
# sites' rounds carry published results copied from seeded rounds, without answers: a
# network page reads published results only.
SCALE_NETWORKS = (100, 300, 1000)


# The largest round measured: a big hospital's whole staff.
LARGE_ROUND = 2000


# A partner organisation that many facilities share with (the portfolio).
PARTNER_SITES = 250


PARTNER_SLUG = f"bench-partner-{PARTNER_SITES}"


PARTNER_MEMBER = "bench-partner-member"


@dataclass
class Fixture:
    """The rounds and respondents every measurement uses."""

    facility: Facility
    dashboards: dict[int, Round]  # respondents -> closed round
    pages: dict[int, tuple[Round, str]]  # respondents -> (open round, a respondent token)
    network: Network | None = None
    networks: dict[int, Network] = None  # sites -> network, the seeded one and SCALE_NETWORKS
    steps: dict[int, Round] = None  # published respondents -> open round taking steps
    partner: Partner | None = None  # sharing with PARTNER_SITES facilities


def prepare(stdout) -> Fixture:
    instrument = seed.ensure_instrument()
    facility = Facility.objects.filter(slug=SIZES_SLUG).first()
    if facility is None:
        import random

        rng = random.Random(7)
        facility = Facility.objects.create(
            name="Benchmark sizes", slug=SIZES_SLUG, type="academic", state="NY"
        )
        Membership.objects.create(user=seed.bench_user(), facility=facility)
        for n in (10, 40, 400):
            seed.add_round(facility, instrument, f"{n} respondents", n, rng)
            seed.add_round(facility, instrument, f"open {n}", n, rng, status=Round.Status.OPEN)
    if not facility.rounds.filter(label=f"{LARGE_ROUND} respondents").exists():
        import random

        rng = random.Random(11)
        seed.add_round(facility, instrument, f"{LARGE_ROUND} respondents", LARGE_ROUND, rng)
    if not facility.rounds.filter(label=f"open {LARGE_ROUND}").exists():
        import random

        rng = random.Random(13)
        seed.add_round(
            facility, instrument, f"open {LARGE_ROUND}", LARGE_ROUND, rng, status=Round.Status.OPEN
        )
    sizes = (10, 40, 400, LARGE_ROUND)
    dashboards = {n: facility.rounds.get(label=f"{n} respondents") for n in sizes}
    role = Role.objects.filter(instrument=instrument).first()
    pages = {}
    for n in (10, 400):
        round_ = facility.rounds.get(label=f"open {n}")
        started = start_respondent(round_=round_, role=role, nonce=f"bench-{n}-{time.time_ns()}")
        pages[n] = (round_, started.token)
    network = _network()
    networks = {NETWORK_SITES: network} | {n: _scale_network(n) for n in SCALE_NETWORKS}
    steps = {n: facility.rounds.get(label=f"open {n}") for n in (40, LARGE_ROUND)}
    partner = _partner()
    refresh_statistics()  # for the rounds and releases just copied in bulk
    return Fixture(facility, dashboards, pages, network, networks, steps, partner)


def _partner() -> Partner:
    """A partner organisation that PARTNER_SITES seeded facilities share every round with,
    with one member (PARTNER_MEMBER). Facilities outside the networks, so that the
    network pages' changes, timed alongside, never touch the portfolio kept."""
    partner, created = Partner.objects.get_or_create(
        slug=PARTNER_SLUG, defaults={"name": "Benchmark partner"}
    )
    if created:
        PartnerMembership.objects.get_or_create(
            user=seed.bench_user(PARTNER_MEMBER), partner=partner
        )
        now = timezone.now()
        Share.objects.bulk_create(
            Share(facility=facility, partner=partner, accepted_at=now, include_roles=True)
            for facility in Facility.objects.filter(
                slug__startswith=seed.BENCH_PREFIX, network__isnull=True
            ).order_by("pk")[:PARTNER_SITES]
        )
    return partner


def scale_leader(sites: int) -> str:
    return f"{LEADER}-{sites}" if sites != NETWORK_SITES else LEADER


def _scale_network(sites: int) -> Network:
    """A network of ``sites`` sites with three closed rounds each, whose published results
    are those of the seeded network's rounds, copied in bulk; led by its own user."""
    network, created = Network.objects.get_or_create(
        slug=f"{NETWORK_SLUG}-{sites}", defaults={"name": f"Benchmark network of {sites}"}
    )
    if not created:
        return network
    NetworkLeader.objects.create(user=seed.bench_user(scale_leader(sites)), network=network)
    models = list(
        Round.objects.filter(facility__network__slug=NETWORK_SLUG)
        .select_related("release")
        .order_by("facility_id", "pk")
    )
    per_site = 3
    with transaction.atomic():
        facilities = Facility.objects.bulk_create(
            Facility(
                name=f"Scale site {sites}-{n:04d}",
                slug=f"scale-{sites}-{n}",
                type="fqhc",
                state="CA",
                network=network,
            )
            for n in range(sites)
        )
        rounds = Round.objects.bulk_create(
            Round(
                facility=facility,
                instrument_id=model.instrument_id,
                label=model.label,
                status=Round.Status.CLOSED,
                opened_on=model.opened_on,
                closed_on=model.closed_on or model.opened_on,
            )
            for n, facility in enumerate(facilities)
            for model in models[(n * per_site) % len(models) :][:per_site]
        )
        # the n-th round made is a copy of models[n % len(models)]
        copies = [(round_, models[n % len(models)].release) for n, round_ in enumerate(rounds)]
        copied = []
        for round_, release in copies:
            copy = RoundRelease(
                round=round_,
                number=release.number,
                respondents=release.respondents,
                merged_roles=release.merged_roles,
            )
            copy.set_aggregates(release.aggregates)  # with its summary and most scored
            copied.append(copy)
        RoundRelease.objects.bulk_create(copied)
    # A network page of sites without results would measure an empty table.
    minimum = settings.DISCLOSURE_MIN_GROUP  # as RoundRelease.has_results reads it
    with_results = (
        RoundRelease.objects.filter(
            round__facility__network=network, respondents__gte=minimum, most_scored__gte=minimum
        )
        .values("round__facility")
        .distinct()
        .count()
    )
    if with_results != sites:
        raise RuntimeError(f"{sites - with_results} of {sites} benchmark sites have no results")
    return network


def _network() -> Network:
    """A network of NETWORK_SITES seeded facilities, led by its own user (so that the
    bench user's dashboards keep their peers)."""
    network, created = Network.objects.get_or_create(
        slug=NETWORK_SLUG, defaults={"name": "Benchmark network"}
    )
    if created:
        sites = Facility.objects.exclude(slug=SIZES_SLUG).order_by("pk")[:NETWORK_SITES]
        Facility.objects.filter(pk__in=[f.pk for f in sites]).update(network=network)
        leader = seed.bench_user(LEADER)
        NetworkLeader.objects.create(user=leader, network=network)
    # The sites' published results exist once someone has looked (services/releases.py);
    # made here, so that the first page view through gunicorn is not the one that
    # makes them.
    released_summaries(
        list(Round.objects.filter(facility__network=network).values_list("pk", flat=True))
    )
    return network
