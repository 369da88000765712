"""Shared test personas and builders.

Unit-test data is built in code here; fixtures/ holds only the real instrument and
the demo. The scoring example in tests/data/scoring_example/ is a copy of the worked
example in shared/examples/scoring (toy instrument, answers, expected scores).
"""

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from readiness.models import (
    Facility,
    Membership,
    Network,
    NetworkLeader,
    Partner,
    PartnerMembership,
)
from readiness.services.facilities import create_facility, open_round
from readiness.services.imports import import_responses
from readiness.services.instrument import load_instrument
from tests.clients import Client

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = Path(__file__).resolve().parent / "data" / "scoring_example"


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


DATABASE_FIXTURES = {"db", "transactional_db", "live_server"}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Under mutmut only, the tests likeliest to catch the mutant run first. mutmut stops
    a mutant's run at the first failing test (docs/testing.md, Mutation testing):

    - tests without a database first: the unit tests that catch most mutants of the
      rules need none, and pytest-django would run them after every database test that
      also reaches the rule;
    - then, within each kind (no database, database, transactional database, kept in
      pytest-django's order so a flush never precedes a test that needs the migrations'
      rows), the mutated module's own test files, named with a part of its path: a
      mutant of ``services.imports.storing`` runs tests/test_imports.py before the
      hundreds of tests that import a file only to build their data, and one of
      ``scoring.sums`` test_scoring.py and test_release_sums.py.
    """
    mutant = os.environ.get("MUTANT_UNDER_TEST")
    if not mutant:
        return
    parts = set(mutant.split("."))
    items.sort(
        key=lambda item: (
            database_kind(item),
            parts.isdisjoint(item.path.stem.split("_")[1:]),
        )
    )


def database_kind(item) -> int:
    """0 without a database, 1 with one, 2 with one committed to (flushed after), as
    pytest-django tells them apart."""
    fixtures = set(getattr(item, "fixturenames", ()))
    marker = item.get_closest_marker("django_db")
    if marker is None and fixtures.isdisjoint(DATABASE_FIXTURES):
        return 0
    committed = marker is not None and bool(
        (marker.args[0] if marker.args else marker.kwargs.get("transaction"))
        or marker.kwargs.get("reset_sequences")
    )
    return 2 if committed or not fixtures.isdisjoint({"transactional_db", "live_server"}) else 1


def mutation_database_folder() -> Path | None:
    """Under mutmut with SQLite: where the migrated test database is kept between
    mutants' runs. Each mutant's tests run in a process of their own (a fork), where
    building the test database from the migrations took 2.7 s of a run of a few seconds.
    Keyed by the text of every installed app's migrations (the folder may be shared by
    checkouts and environments), so that an edited or upgraded one builds it again."""
    from django.apps import apps
    from django.conf import settings

    if "MUTANT_UNDER_TEST" not in os.environ:
        return None
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return None
    digest = hashlib.sha256()
    for app in apps.get_app_configs():
        for migration in sorted((Path(app.path) / "migrations").glob("*.py")):
            digest.update(migration.read_bytes())
    return Path(tempfile.gettempdir()) / f"readiness-mutation-{digest.hexdigest()[:16]}"


def copy_of_migrated(folder: Path) -> tuple[Path, Path]:
    """This process's own database file, and the migrated one it was copied from when an
    earlier run kept it (otherwise Django builds this one from the migrations)."""
    folder.mkdir(parents=True, exist_ok=True)
    own = folder / f"run-{os.getpid()}.sqlite3"
    # What a run mutmut killed for its time left under the same process id, journal
    # files included, which SQLite would take for this copy's.
    delete_database_file(own)
    migrated = folder / "migrated.sqlite3"
    if migrated.exists():
        shutil.copyfile(migrated, own)
    return own, migrated


def keep_if_first(own: Path, migrated: Path) -> None:
    """Keep a copy of a freshly migrated database for the runs that follow. Written
    under another name, then renamed: a run starting meanwhile never copies half."""
    if not migrated.exists():
        unfinished = migrated.with_name(f"{own.stem}.unfinished")
        shutil.copyfile(own, unfinished)
        unfinished.replace(migrated)


def delete_database_file(own: Path) -> None:
    for path in (own, own.with_name(own.name + "-wal"), own.with_name(own.name + "-shm")):
        path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """Under mutmut, the test database is a file of this process's own, copied from the
    migrated one an earlier run kept (mutation_database_folder)."""
    from django.conf import settings

    folder = mutation_database_folder()
    if folder is None:
        return None
    own, migrated = copy_of_migrated(folder)
    settings.DATABASES["default"]["TEST"]["NAME"] = str(own)
    return own, migrated


@pytest.fixture(scope="session")
def django_db_keepdb(django_db_keepdb, django_db_modify_db_settings):
    """Under mutmut, Django keeps the copied database (migrate then only checks it, and
    applies any migration newer than the copy) and leaves it for django_db_setup to
    delete."""
    return django_db_keepdb or django_db_modify_db_settings is not None


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_modify_db_settings, django_db_blocker):
    """Under mutmut, the first run to build the test database keeps a copy of it, taken
    before any test writes to it; every run deletes its own file at the end."""
    from django.db import connections

    if django_db_modify_db_settings is None:
        yield
        return
    own, migrated = django_db_modify_db_settings
    with django_db_blocker.unblock():
        connections["default"].close()  # the last connection folds the WAL into the file
    keep_if_first(own, migrated)
    yield
    with django_db_blocker.unblock():
        connections["default"].close()
    delete_database_file(own)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production hashes passwords slowly on purpose; tests sign in hundreds of times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client():
    """pytest-django's client, signing in past the second factor (tests/clients.py)."""
    return Client()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: ids restart between tests, versions too."""
    from django.core.cache import cache

    from readiness.benchmarks import forget as forget_benchmarks
    from readiness.comparison import forget as forget_standings
    from readiness.pages import forget_pages

    def forget():
        cache.clear()
        forget_pages()
        forget_benchmarks()
        forget_standings()

    forget()
    yield
    forget()


@pytest.fixture(autouse=True)
def downloads_dir(tmp_path):
    """Prepared downloads are written under each test's own folder."""
    from django.test import override_settings

    folder = tmp_path / "downloads"
    with override_settings(DOWNLOADS_DIR=folder):
        yield folder


@pytest.fixture(scope="class")
def class_db(django_db_setup, django_db_blocker):
    """For rows that a test class shares, built once rather than for each test:
    ``with class_db(): ...`` writes them inside a transaction that every test's own
    (the ``db`` fixture's, a savepoint within it) leaves as it found it, and that is
    rolled back after the class's last test, so that the rest of the module never sees
    them. Tests still ask for ``db``: only the building may reach the database
    (pytest-django issue 1145). Not for classes with transactional tests."""
    from django.db import transaction

    shared = transaction.atomic()
    with django_db_blocker.unblock():
        shared.__enter__()
    yield django_db_blocker.unblock
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        shared.__exit__(None, None, None)


def load_shipped_instrument():
    return load_instrument(data=read_json(ROOT / "fixtures" / "instrument.json")).instrument


@pytest.fixture
def instrument(db):
    """The real instrument shipped in fixtures/."""
    return load_shipped_instrument()


@pytest.fixture
def toy_instrument(db):
    """The toy instrument of the worked scoring example."""
    return load_instrument(data=read_json(EXAMPLE / "instrument.json")).instrument


def routed_toy() -> dict:
    """The toy instrument's file with COMMS-3 asked only of physicians, no "does not
    apply", and "don't know" counted as neutral."""
    data = read_json(EXAMPLE / "instrument.json")
    data["version"] = "toy-routed"
    data["answer_options"] = ["scale", "dont_know"]
    data["dont_know_scoring"] = "neutral"
    for domain in data["domains"]:
        for determinant in domain["determinants"]:
            for item in determinant["items"]:
                if item["code"] == "COMMS-3":
                    item["asked_of"] = ["physician"]
    return data


def one_domain_instrument(version: str, determinants: list[dict], **settings):
    """A questionnaire of one role (nurse) and one domain, D, holding ``determinants``
    (as the instrument file writes them); ``settings``: more of the file's fields."""
    return load_instrument(
        data={
            "version": version,
            **settings,
            "roles": [{"code": "nurse", "name": "Nurse"}],
            "domains": [{"code": "D", "name": "D", "determinants": determinants}],
        }
    ).instrument


def make_user(username: str):
    return get_user_model().objects.create_user(username=username, password="pw-" + username)


@pytest.fixture
def owner(db):
    return make_user("owner")


@pytest.fixture
def outsider(db):
    return make_user("outsider")


def make_mercy_clinic(owner) -> Facility:
    return create_facility(name="Mercy Clinic", slug="mercy", type="fqhc", state="CA", owner=owner)


@pytest.fixture
def facility(owner) -> Facility:
    return make_mercy_clinic(owner)


@pytest.fixture
def other_facility(outsider) -> Facility:
    return create_facility(
        name="Other Hospital", slug="other", type="academic", state="TX", owner=outsider
    )


@pytest.fixture
def viewer(facility):
    user = make_user("viewer")
    Membership.objects.create(user=user, facility=facility, level=Membership.Level.VIEWER)
    return user


@pytest.fixture
def network(db):
    return Network.objects.create(name="Valley Health Centers", slug="valley")


@pytest.fixture
def leader(network):
    """A leader of the network: reads its sites as their viewers do and compares them."""
    user = make_user("leader")
    NetworkLeader.objects.create(user=user, network=network)
    return user


def share_accepted(*, partner, rounds=None, include_strategies=True, include_roles=True, **offer):
    """A share offered to the partner and accepted by one of its members (or, for a
    partner without members, as if it had been): all rounds, with strategies and results
    by role, unless the test asks for less."""
    from django.utils import timezone

    from readiness.models import Share
    from readiness.services.access import accept_share, share_with_partner

    share = share_with_partner(
        partner=partner,
        rounds=rounds,
        include_strategies=include_strategies,
        include_roles=include_roles,
        **offer,
    )
    member = partner.memberships.select_related("user").first()
    if member is not None:
        accept_share(share=share, by=member.user)
    else:
        Share.objects.filter(pk=share.pk).update(accepted_at=timezone.now())
    share.refresh_from_db()
    return share


def make_partner(facility, *, by, slug="advocates", roles=True, strategies=True, rounds=None):
    """A partner organisation with one member, and a share of the facility it accepted."""
    user = make_user(f"{slug}-member")
    partner = Partner.objects.create(name=slug.title(), slug=slug)
    PartnerMembership.objects.create(user=user, partner=partner)
    share_accepted(
        facility=facility,
        partner=partner,
        rounds=rounds,
        include_strategies=strategies,
        include_roles=roles,
        by=by,
    )
    return partner, user


@pytest.fixture
def open_round_(facility, instrument):
    return open_round(facility=facility, label="Spring 2026")


def csv_bytes(rows, header="respondent,role,item,value") -> bytes:
    lines = [header] + [",".join(str(cell) for cell in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def import_rows(facility, label, rows, **kwargs):
    return import_responses(facility=facility, round_label=label, content=csv_bytes(rows), **kwargs)


def full_answers(instrument, respondent: str, role: str, value_for) -> list[tuple]:
    """Rows answering every item of the instrument; value_for(item) gives the value."""
    from readiness.models import Item

    return [
        (respondent, role, item.code, value_for(item))
        for item in Item.objects.filter(determinant__domain__instrument=instrument)
    ]
