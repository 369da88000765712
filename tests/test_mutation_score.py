"""The tools of mutation testing: tests/mutation_score.py, which decides whether CI's
mutation sample passes, and the order tests run in under mutmut (tests/conftest.py)."""

import io
import os
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db.migrations.loader import MigrationLoader

from tests import conftest, mutation_score

ACCEPTED = "readiness.permissions.x_facility_access__mutmut_56"


def score(monkeypatch, capsys, results: str, *args: str) -> tuple[int, list[str]]:
    monkeypatch.setattr("sys.stdin", io.StringIO(results))
    code = mutation_score.main(["mutation_score.py", *args])
    return code, capsys.readouterr().out.splitlines()


@pytest.fixture(autouse=True)
def accepted(monkeypatch):
    monkeypatch.setattr(mutation_score, "ACCEPTED", {ACCEPTED})


def test_the_score_counts_caught_and_accepted_and_names_each_survivor(monkeypatch, capsys):
    results = (
        "    readiness.benchmarks.x_summarise__mutmut_1: killed\n"
        "    readiness.benchmarks.x_summarise__mutmut_2: timeout\n"
        "    readiness.benchmarks.x_summarise__mutmut_3: survived\n"
        f"    {ACCEPTED}: survived\n"
        "    readiness.scoring.rules.x_band__mutmut_1: survived\n"
    )
    code, lines = score(monkeypatch, capsys, results, "60", "readiness.benchmarks*", ACCEPTED)
    assert code == 0
    assert lines == [
        "4 mutants: 2 caught, 1 accepted as equivalent, 1 survived; score 75.0% (at least 60.0%)",
        "  survived: readiness.benchmarks.x_summarise__mutmut_3 (survived)",
    ]
    code, _ = score(monkeypatch, capsys, results, "75.1", "readiness.benchmarks*", ACCEPTED)
    assert code == 1


def test_an_accepted_mutant_that_is_caught_counts_once_and_is_named(monkeypatch, capsys):
    results = f"    {ACCEPTED}: killed\n    readiness.benchmarks.x_summarise__mutmut_3: survived\n"
    code, lines = score(monkeypatch, capsys, results, "50")
    assert code == 0
    assert lines == [
        "2 mutants: 1 caught, 0 accepted as equivalent, 1 survived; score 50.0% (at least 50.0%)",
        "  survived: readiness.benchmarks.x_summarise__mutmut_3 (survived)",
        f"  accepted as equivalent, yet caught (check its number): {ACCEPTED}",
    ]


def test_a_pattern_matching_nothing_or_a_mutant_not_checked_fails(monkeypatch, capsys):
    results = "    readiness.benchmarks.x_summarise__mutmut_1: killed\n"
    code, lines = score(monkeypatch, capsys, results, "0", "readiness.renamed*")
    assert (code, lines) == (
        1,
        ["Patterns matching no mutant: ['readiness.renamed*']; mutants not checked: []"],
    )
    results += "    readiness.benchmarks.x_summarise__mutmut_2: not checked\n"
    code, lines = score(monkeypatch, capsys, results, "0")
    assert code == 1
    assert lines == [
        "Patterns matching no mutant: []; mutants not checked: "
        "['readiness.benchmarks.x_summarise__mutmut_2']"
    ]


def collected(file: str, name: str, *fixtures: str, **django_db):
    marker = pytest.mark.django_db(**django_db).mark if django_db else None
    return SimpleNamespace(
        path=Path("tests") / file,
        name=name,
        fixturenames=list(fixtures),
        get_closest_marker=lambda _name: marker,
    )


def test_under_mutmut_the_mutated_modules_own_tests_run_first_within_each_database_kind(
    monkeypatch,
):
    items = [
        collected("test_scoring.py", "scores_with_data", "db"),
        collected("test_scoring.py", "scores_committed", transaction=True),
        collected("test_release_sums.py", "sums_reset", reset_sequences=True),
        collected("test_imports.py", "import_committed", "transactional_db"),
        collected("test_scoring.py", "rule"),
        collected("test_imports.py", "import_with_data", transaction=False),
        collected("test_imports.py", "import_rule"),
    ]
    order = [item.name for item in items]
    monkeypatch.delenv("MUTANT_UNDER_TEST", raising=False)
    conftest.pytest_collection_modifyitems(items)
    assert [item.name for item in items] == order  # not under mutmut: pytest's order

    monkeypatch.setenv(
        "MUTANT_UNDER_TEST", "readiness.services.imports.storing.x_import_responses__mutmut_7"
    )
    conftest.pytest_collection_modifyitems(items)
    assert [item.name for item in items] == [
        "import_rule",
        "rule",
        "import_with_data",
        "scores_with_data",
        "import_committed",
        "scores_committed",
        "sums_reset",
    ]
    # a mutant of scoring.sums: test_scoring.py and test_release_sums.py are its own
    monkeypatch.setenv("MUTANT_UNDER_TEST", "readiness.scoring.sums.x_combine__mutmut_3")
    conftest.pytest_collection_modifyitems(items)
    assert [item.name for item in items] == [
        "rule",
        "import_rule",
        "scores_with_data",
        "import_with_data",
        "scores_committed",
        "sums_reset",
        "import_committed",
    ]


def test_under_mutmut_with_sqlite_the_migrated_database_is_kept_by_its_migrations(
    monkeypatch, tmp_path
):
    from django.apps import apps
    from django.conf import settings

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3")
    monkeypatch.delenv("MUTANT_UNDER_TEST", raising=False)
    assert conftest.mutation_database_folder() is None  # not under mutmut

    monkeypatch.setenv("MUTANT_UNDER_TEST", "")  # mutmut's run without a mutant
    assert conftest.mutation_database_folder().parent == tmp_path
    ours, installed = tmp_path / "readiness", tmp_path / "site-packages" / "axes"
    for app in (ours, installed):
        (app / "migrations").mkdir(parents=True)
        (app / "migrations" / "0001_initial.py").write_text("operations = []\n")
    configs = [SimpleNamespace(path=str(ours)), SimpleNamespace(path=str(installed))]
    monkeypatch.setattr(apps, "get_app_configs", lambda: configs)
    folders = [conftest.mutation_database_folder()]
    (ours / "migrations" / "0002_edited.py").write_text("operations = []\n")
    folders.append(conftest.mutation_database_folder())
    (installed / "migrations" / "0001_initial.py").write_text("operations = ['upgraded']\n")
    folders.append(conftest.mutation_database_folder())
    assert len(set(folders)) == 3

    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql")
    assert conftest.mutation_database_folder() is None


def test_a_run_under_mutmut_keeps_the_migrated_database_for_the_next_to_start_from(tmp_path):
    """Two runs as mutmut's: the first migrates and keeps the database as the migrations
    left it; the second reuses it; neither leaves its own file behind."""
    test = "tests/test_home.py::test_a_network_leader_lands_on_the_network"
    env = {**os.environ, "MUTANT_UNDER_TEST": "", "TMPDIR": str(tmp_path), "DATABASE_URL": ""}
    applying = []
    for _ in range(2):
        run = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider"]
            + ["-s", "-vv", test],  # -vv: migrate names each migration it applies
            cwd=conftest.ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        applying.append(
            [line.split()[1] for line in run.stdout.splitlines() if line.startswith("  Applying ")]
        )
        (folder,) = tmp_path.glob("readiness-mutation-*")
        assert sorted(path.name for path in folder.iterdir()) == ["migrated.sqlite3"]
    every_migration = MigrationLoader(None).disk_migrations
    assert len(applying[0]) == len(every_migration)
    assert applying[1] == []
    with closing(sqlite3.connect(folder / "migrated.sqlite3")) as kept:
        assert kept.execute("SELECT count(*) FROM readiness_network").fetchone() == (0,)
        (applied,) = kept.execute("SELECT count(*) FROM django_migrations").fetchone()
    assert applied == len(every_migration)


def test_each_run_copies_the_database_the_first_one_kept_and_deletes_its_own(tmp_path):
    own, migrated = conftest.copy_of_migrated(tmp_path / "databases")
    assert not own.exists()  # nothing kept yet: Django migrates this run's own file
    own.write_bytes(b"migrated")
    conftest.keep_if_first(own, migrated)
    own.write_bytes(b"written by this run's tests")
    conftest.keep_if_first(own, migrated)  # kept once, before any test wrote
    assert migrated.read_bytes() == b"migrated"

    for suffix in ("-wal", "-shm"):
        own.with_name(own.name + suffix).write_bytes(b"")
    conftest.delete_database_file(own)
    assert sorted(path.name for path in migrated.parent.iterdir()) == ["migrated.sqlite3"]

    again, _ = conftest.copy_of_migrated(tmp_path / "databases")
    assert again.read_bytes() == b"migrated"
