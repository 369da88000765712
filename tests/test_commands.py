"""Management commands: what analysts script against."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from readiness.models import Answer, Facility, Membership, Respondent, Round
from tests.conftest import EXAMPLE, ROOT, read_json


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_load_instrument_is_idempotent(db):
    assert run("load_instrument").splitlines() == [
        "Loaded instrument version 2026.1",
        "Loaded instrument version 2027.1",
    ]
    assert run("load_instrument").splitlines() == [
        "Already loaded instrument version 2026.1",
        "Already loaded instrument version 2027.1",
    ]


def test_load_instrument_reports_a_bad_file(db, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="Cannot read"):
        run("load_instrument", str(bad))
    bad.write_text('{"version": "x"}')
    with pytest.raises(CommandError, match="roles"):
        run("load_instrument", str(bad))


# Fields export_instrument added with instrument 2027.1 (README: the contract grows, and
# never renames): what each level carries beyond the documented shape of 2026.1.
ADDED_EXPORT_FIELDS = {
    "instrument": {"answer_options", "dont_know_scoring", "translations"},
    "domain": {"cfir2_domain"},
    "determinant": {"cfir_construct", "cfir2_construct", "carries_over_from"},
    "item": {"cfir_construct", "cfir2_construct", "asked_of", "carries_over_from"},
    "strategy": {"eric_strategy", "eric_match"},
}


def without_added_fields(exported: dict) -> dict:
    def drop(entry, level):
        return {key: value for key, value in entry.items() if key not in ADDED_EXPORT_FIELDS[level]}

    shaped = drop(exported, "instrument")
    shaped["domains"] = [
        drop(domain, "domain")
        | {
            "determinants": [
                drop(det, "determinant") | {"items": [drop(i, "item") for i in det["items"]]}
                for det in domain["determinants"]
            ]
        }
        for domain in exported["domains"]
    ]
    shaped["strategies"] = [drop(s, "strategy") for s in exported["strategies"]]
    return shaped


def test_export_instrument_prints_the_documented_shape(db):
    run("load_instrument", str(EXAMPLE / "instrument.json"))
    exported = json.loads(run("export_instrument"))
    assert without_added_fields(exported) == read_json(EXAMPLE / "instrument.json")
    assert exported["answer_options"] == ["scale", "dont_know", "not_applicable"]
    assert exported["dont_know_scoring"] == "left_out"


@pytest.mark.parametrize("version", ["2026.1", "2027.1"])
def test_export_instrument_round_trips_the_shipped_instruments(db, version):
    run("load_instrument")
    exported = json.loads(run("export_instrument", "--instrument-version", version))
    name = "instrument.json" if version == "2026.1" else f"instrument-{version}.json"
    shipped = read_json(ROOT / "fixtures" / name)
    assert [d["code"] for d in exported["domains"]] == [d["code"] for d in shipped["domains"]]
    assert len(exported["strategies"]) == len(shipped["strategies"])
    item = exported["domains"][0]["determinants"][0]["items"][0]
    documented = {"code", "text", "reverse_scored", "weight"}
    assert set(item) == documented | ADDED_EXPORT_FIELDS["item"]


def test_add_facility(db):
    assert "Created facility" in run(
        "add_facility", "Mercy Clinic", "--slug", "mercy", "--type", "fqhc", "--state", "CA"
    )
    facility = Facility.objects.get()
    assert (facility.name, facility.type, facility.state) == ("Mercy Clinic", "fqhc", "CA")
    with pytest.raises(CommandError, match="Slug already exists"):
        run("add_facility", "Again", "--slug", "mercy", "--type", "fqhc", "--state", "CA")
    with pytest.raises(CommandError):
        run("add_facility", "X", "--slug", "x", "--type", "spa", "--state", "CA")
    assert Facility.objects.count() == 1


def test_import_and_scores_reproduce_the_worked_example(db):
    run("load_instrument", str(EXAMPLE / "instrument.json"))
    run("add_facility", "Example", "--slug", "ex", "--type", "fqhc", "--state", "NY")
    out = run(
        "import_responses", str(EXAMPLE / "responses.csv"), "--facility", "ex", "--round", "R1"
    )
    assert "Imported 8 respondents and 68 answers into ex / R1 (new round)" in out
    # the operator's full figures keep the contract of the worked example
    scores = json.loads(run("scores", "--facility", "ex", "--round", "R1", "--unsuppressed"))
    expected = read_json(EXAMPLE / "expected-scores.json")
    assert scores["respondents"] == 8
    assert scores["overall"] == pytest.approx(expected["overall"], abs=0.01)
    assert scores["roles"]["security"] == {"respondents": 1, "suppressed": True}
    assert [r["strategy"] for r in scores["recommendations"]] == ["WORKGROUP", "QI-CYCLES"]
    # without the flag, what an owner sees: the lone security guard's count is hidden
    owner_view = json.loads(run("scores", "--facility", "ex", "--round", "R1"))
    assert owner_view["overall"] == pytest.approx(expected["overall"], abs=0.01)
    assert owner_view["roles"]["security"] == {
        "respondents": None,
        "suppressed": "fewer_than_minimum",
        "determinants": None,
    }


def test_an_import_leaves_the_planner_statistics_of_what_it_wrote(db):
    """Right after a bulk write, PostgreSQL planned an export of one facility as a scan
    of every answer in the database (docs/performance.md, Query plans): the command ends
    by analysing each table bulk writes fill (readiness/planner.py)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from readiness.planner import BULK_TABLES

    run("load_instrument", str(EXAMPLE / "instrument.json"))
    run("add_facility", "Example", "--slug", "ex", "--type", "fqhc", "--state", "NY")
    with CaptureQueriesContext(connection) as captured:
        run("import_responses", str(EXAMPLE / "responses.csv"), "--facility", "ex", "--round", "R1")
    statements = [q["sql"] for q in captured]
    analysed = [sql for sql in statements if sql.startswith("ANALYZE")]
    if connection.vendor == "sqlite":  # it would hold the write lock (planner.py)
        assert analysed == []
        return
    assert analysed == [
        f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}" for model in BULK_TABLES
    ]
    # after what it wrote
    last_write = max(i for i, sql in enumerate(statements) if sql.startswith(("INSERT", "COPY")))
    assert statements.index(analysed[0]) > last_write
    with connection.cursor() as cursor:  # and the statistics are there
        cursor.execute(
            "SELECT 1 FROM pg_stats WHERE tablename = 'readiness_answer' "
            "AND attname = 'respondent_id'"
        )
        assert cursor.fetchone() == (1,)


def test_import_responses_fails_loudly_and_stores_nothing(db, tmp_path):
    run("load_instrument", str(EXAMPLE / "instrument.json"))
    run("add_facility", "Example", "--slug", "ex", "--type", "fqhc", "--state", "NY")
    bad = tmp_path / "bad.csv"
    bad.write_text("respondent,role,item,value\nr1,nurse,EVAL-1,4\nr1,nurse,EVAL-2,7\n")
    with pytest.raises(CommandError, match="Nothing was imported:\nLine 3: value '7'"):
        run("import_responses", str(bad), "--facility", "ex", "--round", "R1")
    assert not Round.objects.exists() and not Answer.objects.exists()
    with pytest.raises(CommandError, match="No facility"):
        run("import_responses", str(bad), "--facility", "nope", "--round", "R1")
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_responses", str(tmp_path / "missing.csv"), "--facility", "ex", "--round", "R")


def test_scores_for_an_unknown_round(db):
    with pytest.raises(CommandError, match="No round"):
        run("scores", "--facility", "nope", "--round", "R1")


def test_seed_demo_builds_a_labelled_synthetic_demo(db):
    out = run("seed_demo")
    assert "Sign in as 'demo'" in out
    assert all(f.is_demo and f.name.startswith("Demo") for f in Facility.objects.all())
    # ten verified peers nobody signs in to, so that the demo shows peer comparisons
    peers = Facility.objects.filter(slug__startswith="demo-peer-")
    assert peers.count() == 10
    assert all(p.is_verified and p.contributes and not p.members.exists() for p in peers)
    from readiness import benchmarks

    eastside = Facility.objects.get(slug="demo-eastside-chc")
    compared = benchmarks.benchmarks_for(eastside)
    assert compared["type"]["LEGAL"].peers == 5 and compared["type"]["LEGAL"].low is None
    assert compared["all"]["LEGAL"].peers == 10 and compared["all"]["LEGAL"].low is not None
    facilities = Facility.objects.exclude(pk__in=peers)
    assert facilities.count() >= 12
    assert all(f.is_demo and f.name.startswith("Demo") for f in facilities)
    assert {f.state for f in facilities} == {"CA", "TX", "NY", "FL", "IL"}
    assert {"fqhc", "academic", "county"} <= {f.type for f in facilities}
    # demo owns all but one facility; its own owner has it; a viewer, a partner with live,
    # revoked and expired shares, and an outsider show who may see what
    assert Membership.objects.filter(user__username="demo").count() == facilities.count() - 1
    assert Membership.objects.get(user__username="demo-pilsen").facility.slug == "demo-pilsen-hc"
    from readiness.models import Share

    assert Share.objects.active().filter(partner__slug="demo-coalition").count() == 2
    assert Share.objects.filter(partner__slug="demo-coalition").count() == 4
    assert not Membership.objects.filter(user__username="demo-outsider").exists()
    # every demo facility has an intervention inventory, and its open round names one
    from readiness.models import FacilityIntervention, Intervention

    assert FacilityIntervention.objects.count() == facilities.count() * Intervention.objects.count()
    assert not Round.objects.filter(status="open", intervention__isnull=True).exists()
    # a network of all demo sites, led by demo-network
    from readiness.models import Network

    network = Network.objects.get(slug="demo-network")
    assert network.facilities.count() == facilities.count()
    assert network.leaders.get().username == "demo-network"
    for facility in facilities:
        assert facility.rounds.count() >= 3
        assert facility.rounds.filter(status="open").count() == 1
    roles = set(Respondent.objects.values_list("role__code", flat=True))
    assert len(roles) >= 10
    assert Respondent.objects.filter(status="in_progress").exists()
    # running it again, or with --if-empty, adds nothing
    count = Respondent.objects.count()
    assert "already present" in run("seed_demo")
    assert "not added" in run("seed_demo", "--if-empty")
    assert Respondent.objects.count() == count


@pytest.mark.parametrize(
    ("sizes", "refused"),
    [
        (["--facilities", "11"], "--facilities must be at least 12"),
        (["--rounds", "2"], "--rounds must be at least 3"),
        (["--respondents", "2"], "--respondents must be at least 3"),
    ],
)
def test_bench_refuses_a_seed_its_pages_cannot_use_before_seeding(db, settings, sizes, refused):
    settings.DISCLOSURE_MIN_GROUP = 3  # whatever the environment says
    with pytest.raises(CommandError) as raised:
        run("bench", *sizes)
    assert str(raised.value).startswith(refused)
    assert not Facility.objects.exists() and not Round.objects.exists()
