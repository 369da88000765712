"""The permission matrix: every URL pattern of the project, for every kind of visitor.

A new view whose name is not in EXPECTED fails test_every_url_pattern_is_in_the_matrix,
so nobody can add a page without deciding who may reach it.
"""

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from openpyxl import load_workbook

from readiness.models import (
    Facility,
    Invitation,
    Membership,
    Partner,
    PartnerMembership,
    Share,
)
from readiness.services.responses import start_respondent
from tests.clients import Client
from tests.conftest import full_answers, import_rows, make_user, share_accepted
from tests.downloads import body_of, fetched

PERSONAS = [
    "anonymous",
    "outsider",
    "viewer",
    "editor",
    "owner",
    "partner",
    "partner_revoked",
    "partner_expired",
    "leader",  # leads the facility's network: reads its results, compares its sites
]


def row(*statuses):
    assert len(statuses) == len(PERSONAS)
    return dict(zip(PERSONAS, statuses, strict=True))


LOGIN = 302  # anonymous visitors are sent to sign in
MEMBER_READ = row(LOGIN, 404, 200, 200, 200, 200, 404, 404, 200)
MANAGE = row(LOGIN, 404, 403, 302, 302, 403, 404, 404, 403)
OWNER_GET = row(LOGIN, 404, 403, 403, 200, 403, 404, 404, 403)
OWNER_POST = row(LOGIN, 404, 403, 403, 302, 403, 404, 404, 403)
SIGNED_IN = row(LOGIN, *[200] * 8)
PUBLIC = row(*[200] * 9)
NETWORK = row(LOGIN, *[404] * 7, 200)
# a download the facility's owner asked for: nobody else learns it exists
OWNER_ONLY = row(LOGIN, 404, 404, 404, 200, 404, 404, 404, 404)

# (method, statuses) for every URL name; "*" statuses apply whatever the persona.
EXPECTED = {
    "home": ("GET", row(200, *[302] * 8)),
    "login": ("GET", row(200, *[302] * 8)),
    "how-scores-work": ("GET", PUBLIC),
    # Django's set_language: the choice kept in a cookie, then back to the page
    "set_language": ("POST", row(*[302] * 9)),
    "logout": ("POST", row(*[302] * 9)),
    "password_change": ("GET", SIGNED_IN),
    "password_change_done": ("GET", SIGNED_IN),
    # without a password step first, the code step sends everyone to sign in
    "two-factor-verify": ("GET", row(*[302] * 9)),
    "two-factor": ("GET", SIGNED_IN),
    "two-factor-set-up": ("GET", SIGNED_IN),
    # no authenticator app yet: nothing to replace
    "two-factor-recovery-codes": ("POST", row(*[302] * 9)),
    # without a code: refused, or (for those who must keep it) sent back
    "two-factor-off": ("POST", row(302, 400, 400, 400, 302, 302, 302, 302, 302)),
    "password_reset": ("GET", PUBLIC),
    "password_reset_done": ("GET", PUBLIC),
    "password_reset_confirm": ("GET", PUBLIC),
    "password_reset_complete": ("GET", PUBLIC),
    "invitation-accept": ("GET", row(*[404] * 9)),  # an unknown token
    "facility-list": ("GET", SIGNED_IN),
    "facility-create": ("GET", SIGNED_IN),
    "facility-detail": ("GET", MEMBER_READ),
    "round-open": ("POST", MANAGE),
    "round-dashboard": ("GET", MEMBER_READ),
    "round-results-json": ("GET", MEMBER_READ),
    # asked for by whoever reads the round (tests/test_reports.py)
    "round-report-prepare": ("POST", row(LOGIN, 404, 302, 302, 302, 302, 404, 404, 302)),
    "round-close": ("POST", MANAGE),
    "round-reopen": ("POST", MANAGE),
    "round-link-replace": ("POST", MANAGE),
    # handing out the link: whoever may manage rounds (tests/test_round_link.py)
    "round-hand-out": ("GET", row(LOGIN, 404, 403, 200, 200, 403, 404, 404, 403)),
    "round-flyer": ("GET", row(LOGIN, 404, 403, 200, 200, 403, 404, 404, 403)),
    "round-delete": ("GET", OWNER_GET),
    "round-exclude-flagged": ("POST", OWNER_POST),
    "facility-members": ("GET", OWNER_GET),
    "member-invite": ("POST", OWNER_POST),
    "invitation-revoke": ("POST", OWNER_POST),
    "member-level": ("POST", OWNER_POST),
    "member-remove": ("POST", OWNER_POST),
    "share-create": ("POST", OWNER_POST),
    "benchmark-consent": ("POST", OWNER_POST),
    "network-answer-access": ("POST", OWNER_POST),
    "facility-min-group": ("POST", OWNER_POST),
    "share-revoke": ("POST", OWNER_POST),
    "facility-audit": ("GET", OWNER_GET),
    # the plan is the facility's own record: members read it, managers change it; partners
    # never, and a network's leaders, who read its results, get 403 (not members)
    "facility-plan": ("GET", row(LOGIN, 404, 200, 200, 200, 403, 404, 404, 403)),
    "plan-add": ("GET", row(LOGIN, 404, 403, 200, 200, 403, 404, 404, 403)),
    "plan-edit": ("GET", row(LOGIN, 404, 403, 200, 200, 403, 404, 404, 403)),
    "plan-status": ("POST", MANAGE),
    "facility-interventions": ("GET", row(LOGIN, 404, 200, 200, 200, 403, 404, 404, 403)),
    # answer-level downloads: asked for by owners (and by leaders of a network for its
    # sites that allow it), fetched by the owners or the leader who asked
    # (tests/test_prepared_downloads.py)
    "facility-answers-prepare": ("POST", OWNER_POST),
    "download-list": ("GET", SIGNED_IN),
    "download-status": ("GET", OWNER_ONLY),
    "download-progress": ("GET", OWNER_ONLY),
    "download-file": ("GET", OWNER_ONLY),
    # scores by round: whoever reads the facility's results (tests/test_score_downloads.py)
    "facility-scores-csv": ("GET", MEMBER_READ),
    "facility-scores-xlsx": ("GET", MEMBER_READ),
    # network pages: only the network's leaders (answer rows only from sites that allow
    # it: tests/test_exports.py)
    "network-comparison": ("GET", NETWORK),
    "network-quality": ("GET", NETWORK),
    "network-report-prepare": ("POST", row(LOGIN, *[404] * 7, 302)),
    "network-comparison-csv": ("GET", NETWORK),
    "network-comparison-xlsx": ("GET", NETWORK),
    "network-answers-prepare": ("POST", row(LOGIN, *[404] * 7, 302)),
    "facility-delete": ("GET", OWNER_GET),
    # nothing deleted to restore: 404 for everyone signed in
    "facility-restore": ("POST", row(LOGIN, *[404] * 8)),
    "partner-portfolio": ("GET", row(LOGIN, 404, 404, 404, 404, 200, 404, 404, 404)),
    # an unknown offer: 404 for everyone who is signed in
    "partner-offer-accept": ("POST", row(LOGIN, *[404] * 8)),
    "partner-offer-decline": ("POST", row(LOGIN, *[404] * 8)),
    "respondent-start": ("GET", PUBLIC),
    "respondent-short": ("GET", row(*[302] * 9)),  # on to respondent-start
    "respondent-resume": ("GET", row(*[302] * 9)),
    "respondent-page": ("GET", PUBLIC),
    "respondent-done": ("GET", row(*[302] * 9)),
}

POST_DATA = {
    "round-close": {"confirm": "yes"},
    "round-link-replace": {"confirm": "yes"},
    "network-answer-access": {"allowed": "on"},
    "plan-status": {"status": "done"},
    "round-open": {"label": "New round", "alongside_open": "on"},
    "member-invite": {"email": "new@example.org", "level": "viewer"},
    "member-level": {"level": "viewer"},
    "facility-min-group": {"min_group": 3},
    "share-create": {"partner_code": None, "all_rounds": "on"},
    "round-exclude-flagged": {"exclude": "on"},
    "facility-answers-prepare": {"format": "csv"},
    "network-answers-prepare": {"format": "csv"},
}


def all_url_names(patterns=None, prefix=""):
    names = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            names += all_url_names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(pattern.name)
    return names


def test_every_url_pattern_is_in_the_matrix():
    assert sorted(set(all_url_names())) == sorted(EXPECTED)


@pytest.fixture
def world(facility, owner, outsider, instrument):
    """A facility with a round, an in-progress respondent, members of every level, and
    three partners: one with an active share, one revoked, one expired."""
    round_ = import_rows(facility, "R1", [("p1", "nurse", "LEGAL-1", 4)]).round
    round_.status = "open"
    round_.save()
    users = {"owner": owner, "outsider": outsider}
    for level in ("viewer", "editor"):
        users[level] = make_user(level)
        Membership.objects.create(user=users[level], facility=facility, level=level)
    shares = {}
    for name in ("partner", "partner_revoked", "partner_expired"):
        users[name] = make_user(name)
        partner = Partner.objects.create(name=name.title(), slug=name.replace("_", "-"))
        PartnerMembership.objects.create(user=users[name], partner=partner)
        shares[name] = share_accepted(
            facility=facility, partner=partner, include_roles=False, by=owner
        )
    Share.objects.filter(pk=shares["partner_revoked"].pk).update(revoked_at=timezone.now())
    Share.objects.filter(pk=shares["partner_expired"].pk).update(
        expires_on=timezone.localdate() - timedelta(days=1)
    )
    started = start_respondent(
        round_=round_, role=instrument.roles.get(code="nurse"), nonce="w" * 30
    )
    invitation = Invitation.objects.create(
        facility=facility,
        email="x@example.org",
        level="viewer",
        token_hash="0" * 64,
        expires_at=timezone.now() + timedelta(days=1),
    )
    from readiness.models import ActionItem, Network, NetworkLeader

    facility.network = Network.objects.create(name="The network", slug="the-network")
    users["leader"] = make_user("leader")
    NetworkLeader.objects.create(user=users["leader"], network=facility.network)
    facility.save()
    from readiness.models import PreparedDownload
    from readiness.services.downloads import prepare, request_download

    download = request_download(
        user=owner,
        kind=PreparedDownload.Kind.FACILITY_ANSWERS,
        fmt="csv",
        facilities=[facility],
        facility=facility,
    )
    prepare(download.pk)
    return {
        "download": download,
        "item": ActionItem.objects.create(facility=facility, title="Step", targets=["LEGAL"]),
        "facility": facility,
        "round": round_,
        "users": users,
        "token": started.token,
        "membership": Membership.objects.get(user=users["viewer"]),
        "invitation": invitation,
        "share": shares["partner"],
        "partner": Partner.objects.get(slug="partner"),
    }


def url_for(name, world):
    slug = world["facility"].slug
    args = {
        "password_reset_confirm": ["MQ", "set-password"],
        "invitation-accept": ["u" * 43],
        "facility-detail": [slug],
        "round-open": [slug],
        "facility-members": [slug],
        "member-invite": [slug],
        "share-create": [slug],
        "benchmark-consent": [slug],
        "network-answer-access": [slug],
        "facility-min-group": [slug],
        "facility-audit": [slug],
        "facility-plan": [slug],
        "facility-interventions": [slug],
        "facility-answers-prepare": [slug],
        "download-status": [world["download"].pk],
        "download-progress": [world["download"].pk],
        "download-file": [world["download"].pk],
        "facility-scores-csv": [slug],
        "facility-scores-xlsx": [slug],
        "facility-delete": [slug],
        "facility-restore": [slug],
        "invitation-revoke": [slug, world["invitation"].pk],
        "member-level": [slug, world["membership"].pk],
        "member-remove": [slug, world["membership"].pk],
        "share-revoke": [slug, world["share"].pk],
        "partner-portfolio": [world["partner"].slug],
        "partner-offer-accept": [world["partner"].slug, 999999],
        "partner-offer-decline": [world["partner"].slug, 999999],
        "respondent-start": [world["round"].link_token],
        "respondent-short": [world["round"].short_code],
        "respondent-resume": [world["token"]],
        "respondent-page": [world["token"], 1],
        "respondent-done": [world["token"]],
    }
    if name.startswith("round-") and name != "round-open":
        return reverse(name, args=[slug, world["round"].pk])
    if name.startswith("network-") and name not in args:  # a network's own pages
        return reverse(name, args=["the-network"])
    if name == "plan-add":
        strategy = world["round"].instrument.strategies.first()
        return reverse(name, args=[slug, world["round"].pk]) + f"?strategy={strategy.pk}"
    if name in ("plan-edit", "plan-status"):
        return reverse(name, args=[slug, world["item"].pk])
    return reverse(name, args=args.get(name, []))


@pytest.mark.parametrize("persona", PERSONAS)
def test_matrix(world, persona):
    """Each persona's status for every URL. Writes run after reads, removals after other
    writes, and signing out last, so each request finds what it needs."""
    client = Client()
    if persona != "anonymous":
        client.force_login(world["users"][persona])
    failures = []
    last = ("member-remove", "share-revoke", "invitation-revoke", "round-link-replace")
    order = sorted(EXPECTED, key=lambda n: (n == "logout", EXPECTED[n][0] == "POST", n in last))
    for name in order:
        method, statuses = EXPECTED[name]
        expected = statuses[persona]
        url = url_for(name, world)
        if method == "GET":
            response = client.get(url)
        else:
            data = dict(POST_DATA.get(name, {}))
            if name == "share-create":  # another partner, so world["share"] stays live
                data["partner_code"] = Partner.objects.get(slug="partner-revoked").share_code
            response = client.post(url, data)
        if response.status_code != expected:
            failures.append(f"{method} {name}: {response.status_code}, expected {expected}")
    assert not failures, "\n".join(failures)


# --- Answer-level data (rule 4 of readiness/disclosure/) --------------------------

# Every answer-level download a reader may ask for: (where to ask, the format).
ANSWER_DOWNLOADS = [
    ("facility-answers-prepare", "csv"),
    ("facility-answers-prepare", "json"),
    ("facility-answers-prepare", "xlsx"),
    ("facility-answers-prepare", "zip"),
    ("network-answers-prepare", "csv"),
    ("network-answers-prepare", "xlsx"),
    ("network-answers-prepare", "zip"),
]


def answer_rows_of(client, world, round_label) -> int:
    """How many of the round's answers this reader gets from any answer download."""

    found = 0
    for name, fmt in ANSWER_DOWNLOADS:
        response = fetched(client, url_for(name, world), fmt)
        if response.status_code != 200:
            continue
        content = body_of(response)
        if fmt == "zip":
            content = zipfile.ZipFile(io.BytesIO(content)).read("answers.csv")
        if fmt == "json":
            data = json.loads(content)
            found += sum(
                len(respondent["answers"])
                for respondent in data["respondents"]
                if respondent["round"] == round_label
            )
        elif fmt in ("csv", "zip"):
            found += sum(
                row["round"] == round_label
                for row in csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
            )
        else:
            sheet = load_workbook(io.BytesIO(content), read_only=True).active
            rows = sheet.iter_rows(values_only=True)
            header = next(rows)
            found += sum(row[header.index("round")] == round_label for row in rows)
    return found


@pytest.mark.parametrize("granted", [False, True], ids=["network-not-allowed", "network-allowed"])
def test_answer_level_data_reaches_owners_and_allowed_networks_only(world, granted):
    """Every persona in one world (building it is most of the cost): each gets the
    answers only if it is an owner, or the network's leader when the site allows it."""
    facility = world["facility"]
    instrument = world["round"].instrument
    rows = [
        row
        for n in range(3)
        for row in full_answers(instrument, f"r{n}", "nurse", lambda item: "4")
    ]
    import_rows(facility, "Answers", rows)
    Facility.objects.filter(pk=facility.pk).update(network_answer_access=granted)
    found = {}
    for persona in PERSONAS:
        if persona == "anonymous":
            continue
        client = Client()
        client.force_login(world["users"][persona])
        found[persona] = answer_rows_of(client, world, "Answers")
    # the owner's four downloads (CSV, JSON, XLSX, ZIP), or the network's three
    expected = dict.fromkeys(found, 0)
    expected |= {"owner": 4 * len(rows), "leader": 3 * len(rows) if granted else 0}
    assert found == expected
