"""Two people acting on the same facility at the same moment, on real concurrent
connections: PostgreSQL only, where requests run in parallel (SQLite takes one writer at
a time, so the race cannot happen there)."""

import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from readiness.models import Membership
from readiness.services import access
from readiness.services.facilities import create_facility
from tests.conftest import make_user

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent connections need PostgreSQL; CI runs the suite there too",
)


@pytest.mark.parametrize("how", ["demote", "remove"])
def test_the_second_of_two_requests_sees_what_the_first_did(db, how):
    """Each request loaded both memberships as owners; the second acts on what is true
    by its turn, not on what it loaded (on every database)."""
    facility = create_facility(name="F", slug="f", type="fqhc", state="CA")
    a, b = make_user("a"), make_user("b")
    ma = Membership.objects.create(user=a, facility=facility, level="owner")
    mb = Membership.objects.create(user=b, facility=facility, level="owner")
    act = {
        "demote": lambda m, by: access.change_member_level(membership=m, level="viewer", by=by),
        "remove": lambda m, by: access.remove_member(membership=m, by=by),
    }[how]
    act(mb, a)
    with pytest.raises(PermissionDenied):  # b is no longer an owner
        act(ma, b)
    assert list(
        Membership.objects.filter(facility=facility, level="owner").values_list(
            "user__username", flat=True
        )
    ) == ["a"]


def at_the_same_moment(*actions):
    """Run the actions in threads (each with its own connection), started together."""
    start = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(n, action):
        from django.db import connections

        start.wait()
        try:
            action()
            outcomes[n] = "done"
        except (ValidationError, PermissionDenied) as refused:
            outcomes[n] = type(refused).__name__
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, a)) for n, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def slow_check(monkeypatch):
    """Widen the window between "is there another owner?" and the write, as a busy
    server would."""
    real = access.members._other_owners

    def slow(membership):
        found = real(membership)
        exists = found.exists()
        time.sleep(0.3)
        return found if exists else found.none()

    monkeypatch.setattr(access.members, "_other_owners", slow)


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["demote", "remove"])
def test_two_owners_acting_on_each_other_leave_the_facility_an_owner(slow_check, how):
    for attempt in range(3):
        facility = create_facility(name=f"F{attempt}", slug=f"f{attempt}", type="fqhc", state="CA")
        a, b = make_user(f"a{how}{attempt}"), make_user(f"b{how}{attempt}")
        ma = Membership.objects.create(user=a, facility=facility, level="owner")
        mb = Membership.objects.create(user=b, facility=facility, level="owner")

        def on(membership, by):
            if how == "demote":
                return lambda: access.change_member_level(
                    membership=membership, level="viewer", by=by
                )
            return lambda: access.remove_member(membership=membership, by=by)

        outcomes = at_the_same_moment(on(mb, a), on(ma, b))
        assert sorted(outcomes, key=str) in (
            ["PermissionDenied", "done"],
            ["ValidationError", "done"],
        ), outcomes
        owners = Membership.objects.filter(facility=facility, level="owner").count()
        assert owners == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_people_finishing_at_once_are_each_added_to_the_published_sums_once(instrument):
    """Steps of published results add the joining people's sums to the round's
    (services/releases.py): nine people finishing at the same moment end with the sums
    that counting everyone afresh gives."""
    from readiness.models import RoundRelease
    from readiness.pages import questionnaire_pages
    from readiness.scoring import aggregate
    from readiness.services.facilities import open_round
    from readiness.services.responses import find_respondent, save_page, start_respondent
    from tests.test_release_sums import assert_same_figures

    facility = create_facility(name="Busy", slug="busy", type="fqhc", state="CA")
    round_ = open_round(facility=facility, label="Morning")
    role = round_.instrument.roles.get(code="nurse")
    pages = questionnaire_pages(round_.instrument, role.code)
    people = []
    for n in range(9):
        respondent = find_respondent(
            start_respondent(round_=round_, role=role, nonce=f"busy-{n}").token
        )
        for page in pages[:-1]:
            save_page(
                respondent=respondent,
                page=page.number,
                answers={item.pk: ("scale", 1 + (n + item.pk) % 5) for item in page.items},
            )
        people.append(respondent)

    def finishing(respondent, n):
        last = pages[-1]
        return lambda: save_page(
            respondent=respondent,
            page=last.number,
            answers={item.pk: ("scale", 1 + (n * item.pk) % 5) for item in last.items},
            finish=True,
        )

    outcomes = at_the_same_moment(*(finishing(r, n) for n, r in enumerate(people)))
    assert outcomes == ["done"] * 9
    release = RoundRelease.objects.get(round=round_)
    assert release.respondents == 9 and release.number >= 1
    assert_same_figures(release.aggregates, aggregate(round_, published=True))
