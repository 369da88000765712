"""A synthetic, clearly labelled demonstration data set.

Facilities are fictional (every name starts with "Demo"), spread over the study's five
states and its three kinds of facility. Their answers are drawn from a simple model:
each facility has a level for every determinant, shaped by its type and state in the
directions the study reports (health centers with a shared mission and partnerships,
academic centers with competing missions, restrictive states with a harder policy
climate), improving a little each round; respondents answer around that level, with
front-line roles saying "don't know" more often about legal matters and evaluation.
"""

import csv
import io
import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from readiness.models import (
    Facility,
    FacilityIntervention,
    Instrument,
    Intervention,
    Item,
    Membership,
    Network,
    NetworkLeader,
    Partner,
    PartnerMembership,
    Role,
    Round,
    Share,
)
from readiness.planner import refresh_statistics
from readiness.services.access import accept_share, share_with_partner
from readiness.services.facilities import create_facility
from readiness.services.imports import import_responses
from readiness.services.responses import save_page, start_respondent

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-readiness"  # noqa: S105 - printed on purpose: synthetic demo only
# Who may see what, shown with demo accounts (all with the demo password):
# - demo: owner of every demo facility but one;
# - demo-pilsen: owner of the Pilsen health center only, which demo cannot see;
# - demo-viewer: viewer at Eastside (reads results, changes nothing);
# - demo-partner: member of a partner organisation that Eastside shares everything with,
#   Gulf Coast one round without strategies, Hudson no longer (revoked) and Bronx no
#   longer (expired);
# - demo-outsider: belongs to nothing and sees nothing;
# - demo-network: leads the demo network of all twelve sites (compares them).
# Ten more verified facilities that nobody signs in to take part in peer comparisons: a
# facility's comparisons leave out every facility its own people can reach (docs/privacy.md),
# so the twelve sites, all reachable by demo and demo-network, cannot be each other's peers.
PEERS = [
    (f"Demo peer {n + 1}", f"demo-peer-{n + 1}", type_, state, "urban")
    for n, (type_, state) in enumerate(
        [("fqhc", "CA"), ("fqhc", "TX"), ("fqhc", "IL"), ("fqhc", "NY"), ("fqhc", "FL")]
        + [("academic", "CA"), ("county", "TX"), ("community", "IL"), ("private", "NY")]
        + [("free_clinic", "FL")]
    )
]
SEPARATE_OWNER = ("demo-pilsen", "demo-pilsen-hc")

FACILITIES = [
    # name, slug, type, state, setting
    ("Demo Eastside Community Health Center", "demo-eastside-chc", "fqhc", "CA", "urban"),
    ("Demo Valley Farmworker Clinic", "demo-valley-clinic", "fqhc", "CA", "rural"),
    ("Demo Bay University Hospital", "demo-bay-university", "academic", "CA", "urban"),
    ("Demo Gulf Coast Health Center", "demo-gulf-coast-hc", "fqhc", "TX", "urban"),
    ("Demo Rio Grande County Hospital", "demo-rio-grande-county", "county", "TX", "urban"),
    ("Demo Bronx Family Health Network", "demo-bronx-family", "fqhc", "NY", "urban"),
    ("Demo Hudson Academic Medical Center", "demo-hudson-amc", "academic", "NY", "urban"),
    ("Demo Biscayne Public Hospital", "demo-biscayne-public", "county", "FL", "urban"),
    ("Demo Sunshine Family Clinic", "demo-sunshine-clinic", "fqhc", "FL", "urban"),
    ("Demo Lakeshore Academic Medical Center", "demo-lakeshore-amc", "academic", "IL", "urban"),
    ("Demo Pilsen Neighborhood Health Center", "demo-pilsen-hc", "fqhc", "IL", "urban"),
    (
        "Demo Prairie County Health Department Clinic",
        "demo-prairie-county",
        "county",
        "IL",
        "rural",
    ),
]
ROUNDS = [("Spring 2025", date(2025, 4, 7), True), ("Spring 2026", date(2026, 4, 6), True)]
OPEN_ROUND = ("Autumn 2026", date(2026, 10, 5))

BASE_LEVEL = 55
TYPE_EFFECTS = {
    "fqhc": {"MISSION": 18, "PARTNERS": 15, "COMMS": 8, "COMMUNITY": 10},
    "academic": {"MISSION": -15, "LEGAL": 5, "INFRA": 5, "COMMS": -10, "CHAMPIONS": -5},
    "county": {"MISSION": -8, "INFRA": -10, "EVAL": -5},
}
STATE_EFFECTS = {
    "CA": {"POLICY": 18, "LEGAL": 8},
    "NY": {"POLICY": 10},
    "IL": {"POLICY": 10, "COMMUNITY": 5},
    "TX": {"POLICY": -20, "WORKFORCE": -8},
    "FL": {"POLICY": -18, "WORKFORCE": -5},
}
# Where roles see things differently, as the study describes: physicians and executives
# think communication is better than nurses and security do.
ROLE_EFFECTS = {
    "physician": {"COMMS": 18, "MISSION": 5},
    "executive": {"COMMS": 20, "MISSION": 20, "CHAMPIONS": 10},
    "nurse": {"COMMS": -12},
    "security": {"COMMS": -18, "WORKFORCE": -12, "LEGAL": -10},
    "front_desk": {"COMMS": -8, "WORKFORCE": -8},
}
# Nobody is surveyed from these roles at these facilities, so the dashboard's
# missing-voices warning has something to show.
MISSING_ROLES = {"demo-hudson-amc": {"security", "legal"}, "demo-rio-grande-county": {"nurse"}}
ROLE_WEIGHTS = {
    "physician": 5,
    "nurse": 6,
    "other_clinician": 2,
    "social_work": 2,
    "front_desk": 4,
    "security": 3,
    "legal": 3,
    "manager": 3,
    "executive": 2,
    "navigator": 3,
    "community_partner": 1,
    "other": 1,
}
UNSURE_ROLES = {"front_desk", "security", "other", "community_partner"}
UNSURE_DETERMINANTS = {"LEGAL", "EVAL", "INFRA", "POLICY"}


class Command(BaseCommand):
    help = "Create synthetic demo facilities, rounds and answers, and a demo login."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any facility exists."
        )
        parser.add_argument("--seed", type=int, default=2021)

    def handle(self, *args, if_empty=False, seed=2021, **options):
        if if_empty and Facility.objects.exists():
            self.stdout.write("Facilities exist already; demo data not added.")
            return
        if Facility.objects.filter(slug__in=[f[1] for f in FACILITIES]).exists():
            self.stdout.write("Demo data is already present.")
            return
        if Instrument.current() is None:
            call_command("load_instrument", stdout=self.stdout)
        if not Intervention.objects.exists():
            call_command("load_interventions", stdout=self.stdout)
        instrument = Instrument.current()
        rng = random.Random(seed)
        user = self._demo_user(DEMO_USERNAME)
        with transaction.atomic():
            for name, slug, type_, state, setting in FACILITIES:
                facility = create_facility(
                    name=name, slug=slug, type=type_, state=state, setting=setting, is_demo=True
                )
                owner = self._demo_user(SEPARATE_OWNER[0]) if slug == SEPARATE_OWNER[1] else user
                Membership.objects.create(
                    user=owner, facility=facility, level=Membership.Level.OWNER
                )
                self._seed_facility(facility, instrument, rng)
            self._access_examples(user)
            for name, slug, type_, state, setting in PEERS:
                self._seed_peer(name, slug, type_, state, setting, instrument, rng)
        refresh_statistics()
        self.stdout.write(
            f"Demo data ready: {len(FACILITIES)} facilities and {len(PEERS)} peers. "
            f"Sign in as {DEMO_USERNAME!r} with password {DEMO_PASSWORD!r}; also demo-viewer, "
            "demo-partner, demo-pilsen, demo-network and demo-outsider, with the same password."
        )

    def _demo_user(self, username):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.org"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def _access_examples(self, owner):
        facilities = {f.slug: f for f in Facility.objects.filter(is_demo=True)}
        network = Network.objects.create(name="Demo Community Health Network", slug="demo-network")
        Facility.objects.filter(is_demo=True).update(
            network=network, contributes_to_benchmarks=True
        )
        NetworkLeader.objects.create(user=self._demo_user("demo-network"), network=network)
        Membership.objects.create(
            user=self._demo_user("demo-viewer"),
            facility=facilities["demo-eastside-chc"],
            level=Membership.Level.VIEWER,
        )
        self._demo_user("demo-outsider")
        partner = Partner.objects.create(
            name="Demo Immigrant Health Coalition", slug="demo-coalition"
        )
        advocate = self._demo_user("demo-partner")
        PartnerMembership.objects.create(user=advocate, partner=partner)
        eastside = share_with_partner(
            facility=facilities["demo-eastside-chc"],
            partner=partner,
            rounds=None,
            include_strategies=True,
            include_roles=True,
            by=owner,
        )
        accept_share(share=eastside, by=advocate)
        gulf = facilities["demo-gulf-coast-hc"]
        gulf_share = share_with_partner(
            facility=gulf,
            partner=partner,
            rounds=[gulf.rounds.get(label="Spring 2026")],
            include_strategies=False,
            include_roles=False,
            by=owner,
        )
        accept_share(share=gulf_share, by=advocate)
        revoked = share_with_partner(
            facility=facilities["demo-hudson-amc"],
            partner=partner,
            rounds=None,
            include_strategies=True,
            include_roles=False,
            by=owner,
        )
        accept_share(share=revoked, by=advocate)
        Share.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
        expired = share_with_partner(
            facility=facilities["demo-bronx-family"],
            partner=partner,
            rounds=None,
            include_strategies=True,
            include_roles=False,
            by=owner,
        )
        accept_share(share=expired, by=advocate)
        Share.objects.filter(pk=expired.pk).update(
            expires_on=timezone.localdate() - timedelta(days=1)
        )

    def _seed_facility(self, facility, instrument, rng):
        items = list(
            Item.objects.filter(determinant__domain__instrument=instrument).select_related(
                "determinant__domain__instrument"
            )
        )
        roles = [
            role
            for role in Role.objects.filter(instrument=instrument)
            if role.code not in MISSING_ROLES.get(facility.slug, set())
        ]
        levels = {
            code: BASE_LEVEL
            + TYPE_EFFECTS.get(facility.type, {}).get(code, 0)
            + STATE_EFFECTS.get(facility.state, {}).get(code, 0)
            + rng.uniform(-8, 8)
            for code in {item.determinant.code for item in items}
        }
        for number, (label, opened_on, closed) in enumerate(ROUNDS):
            improved = {code: level + number * rng.uniform(0, 9) for code, level in levels.items()}
            content = self._answers_csv(items, roles, improved, rng, rng.randint(14, 30))
            summary = import_responses(facility=facility, round_label=label, content=content)
            Round.objects.filter(pk=summary.round.pk).update(
                opened_on=opened_on,
                status=Round.Status.CLOSED if closed else Round.Status.OPEN,
                closed_on=opened_on.replace(month=opened_on.month + 1) if closed else None,
            )
        label, opened_on = OPEN_ROUND
        current = {code: level + len(ROUNDS) * 5 for code, level in levels.items()}
        content = self._answers_csv(items, roles, current, rng, rng.randint(8, 16))
        summary = import_responses(facility=facility, round_label=label, content=content)
        interventions = list(Intervention.objects.all())
        Round.objects.filter(pk=summary.round.pk).update(
            opened_on=opened_on, intervention=rng.choice(interventions)
        )
        statuses = FacilityIntervention.Status.values
        FacilityIntervention.objects.bulk_create(
            FacilityIntervention(
                facility=facility,
                intervention=intervention,
                status=rng.choice(statuses),
                since=opened_on.replace(year=opened_on.year - rng.randint(0, 3)),
            )
            for intervention in interventions
        )
        self._in_progress(summary.round, roles, items, rng)

    def _answer(self, item, role, levels, rng) -> str:
        code = item.determinant.code
        unsure = role.code in UNSURE_ROLES and code in UNSURE_DETERMINANTS
        if rng.random() < (0.3 if unsure else 0.04):
            return "DK"
        offers_na = item.determinant.domain.instrument.offers_not_applicable
        if offers_na and role.code == "community_partner" and rng.random() < 0.15:
            return "NA"
        score = rng.gauss(levels[code] + ROLE_EFFECTS.get(role.code, {}).get(code, 0), 20)
        value = min(5, max(1, round(score / 25) + 1))
        return str(6 - value if item.reverse_scored else value)

    def _seed_peer(self, name, slug, type_, state, setting, instrument, rng):
        """A verified facility with one closed round, taking part in comparisons."""
        facility = create_facility(
            name=name, slug=slug, type=type_, state=state, setting=setting, is_demo=True
        )
        Facility.objects.filter(pk=facility.pk).update(
            contributes_to_benchmarks=True, verified_on=ROUNDS[-1][1]
        )
        items = list(
            Item.objects.filter(determinant__domain__instrument=instrument).select_related(
                "determinant__domain__instrument"
            )
        )
        roles = list(Role.objects.filter(instrument=instrument))
        levels = {
            code: BASE_LEVEL + rng.uniform(-15, 15)
            for code in {item.determinant.code for item in items}
        }
        label, opened_on, _closed = ROUNDS[-1]
        content = self._answers_csv(items, roles, levels, rng, rng.randint(10, 20))
        summary = import_responses(facility=facility, round_label=label, content=content)
        Round.objects.filter(pk=summary.round.pk).update(
            opened_on=opened_on,
            status=Round.Status.CLOSED,
            closed_on=opened_on.replace(month=opened_on.month + 1),
        )

    def _answers_csv(self, items, roles, levels, rng, count) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["respondent", "role", "item", "value"])
        weights = [ROLE_WEIGHTS.get(role.code, 1) for role in roles]
        for n in range(1, count + 1):
            role = rng.choices(roles, weights)[0]
            for item in items:
                if not item.is_asked_of(role.code):
                    continue
                writer.writerow(
                    [f"demo-{n}", role.code, item.code, self._answer(item, role, levels, rng)]
                )
        return out.getvalue().encode()

    def _in_progress(self, round_, roles, items, rng):
        """A few people part-way through the open round, as the web form leaves them."""
        first_domain = items[0].determinant.domain_id
        for n in range(rng.randint(1, 4)):
            role = rng.choice(roles)
            started = start_respondent(
                round_=round_,
                role=role,
                nonce=f"demo-in-progress-{round_.pk}-{n}",
                language=rng.choice(["en", "en", "es"]),
            )
            answers = {
                item.pk: ("scale", rng.randint(2, 5))
                for item in items
                if item.determinant.domain_id == first_domain and item.is_asked_of(role.code)
            }
            save_page(respondent=started.respondent, page=1, answers=answers)
