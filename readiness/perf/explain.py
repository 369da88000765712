"""`make explain`: PostgreSQL's plans for the queries of the pages that must stay flat.

At the benchmark's size (its seeded data), each page is requested through the test client
once to warm what is kept, then once more with its queries captured; every captured
SELECT is run again under EXPLAIN (ANALYZE, BUFFERS). The report names, per page, the
database time, the slowest query, and every scan that read more than SCAN_ROWS rows of a
table without an index: the places where a page's cost would grow with the data. Writes
are not explained (EXPLAIN ANALYZE would perform them).
"""

import json
from dataclasses import dataclass, field
from datetime import date

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from readiness.perf import bench, seed
from readiness.services import facilities as facility_services

SCAN_ROWS = 5_000


@dataclass
class Plan:
    sql: str
    milliseconds: float
    scans: list = field(default_factory=list)  # (table, rows read) of large unindexed scans
    indexes: set = field(default_factory=set)


def _walk(node: dict, plan: Plan):
    if node.get("Node Type") == "Seq Scan":
        read = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node.get(
            "Actual Loops", 1
        )
        if read > SCAN_ROWS:
            plan.scans.append((node["Relation Name"], int(read)))
    if node.get("Index Name"):
        plan.indexes.add(node["Index Name"])
    for child in node.get("Plans", []):
        _walk(child, plan)


def explain(sql: str) -> Plan:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        (result,) = cursor.fetchone()
    document = (json.loads(result) if isinstance(result, str) else result)[0]
    plan = Plan(sql, document["Execution Time"] + document.get("Planning Time", 0))
    _walk(document["Plan"], plan)
    return plan


def plans_of(call) -> list[Plan]:
    call()  # warm what is kept between requests
    with CaptureQueriesContext(connection) as captured:
        response = call()
    if not isinstance(response, tuple):
        response = (response,)
    if response[-1].status_code != 200:
        raise RuntimeError(f"the page answered {response[-1].status_code}")
    selects = [q["sql"] for q in captured if q["sql"].lstrip().upper().startswith("SELECT")]
    return [explain(sql) for sql in selects]


def _consume(response):
    if response.streaming:
        for _ in response.streaming_content:
            pass
    return response


def _prepared(client, prepare_url: str):
    """An answer download asked for, prepared as the task worker prepares it, and
    fetched: every query of the three."""
    from django.urls import resolve

    from readiness.services import downloads

    def call():
        asked = client.post(prepare_url, {"format": "csv"})
        download_id = resolve(asked.url).kwargs["download_id"]
        downloads.prepare(download_id)
        return _consume(client.get(reverse("download-file", args=[download_id])))

    return call


def pages(fx: bench.Fixture) -> dict:
    client = seed.signed_in_client()
    largest = max(fx.networks)
    leader = seed.signed_in_client(bench.scale_leader(largest))
    network = fx.networks[largest]
    large = fx.dashboards[bench.LARGE_ROUND].get_absolute_url()
    small = fx.networks[bench.NETWORK_SITES]
    small_leader = seed.signed_in_client(bench.scale_leader(bench.NETWORK_SITES))
    a_site = small.facilities.order_by("pk").first()
    # the network's answer download needs each site's consent (Facility.network_answer_access),
    # given here for good: this is the benchmark's own database
    small.facilities.update(network_answer_access=True)
    partner = seed.signed_in_client(bench.PARTNER_MEMBER)
    shared = fx.partner.shares.order_by("pk").first().facility_id
    return {
        "dashboard, 40 respondents": lambda: client.get(fx.dashboards[40].get_absolute_url()),
        f"dashboard after new answers, {bench.LARGE_ROUND:,}": lambda: (
            bench.results_changed(fx),
            client.get(large),
        ),
        "facility list, 301 facilities": lambda: client.get(reverse("facility-list")),
        f"network page after new answers, {largest:,} sites": lambda: (
            facility_services.results_changed(facility_id=network.facilities.first().pk),
            leader.get(network.get_absolute_url()),
        ),
        f"network comparison CSV, {largest:,} sites": lambda: _consume(
            leader.get(reverse("network-comparison-csv", args=[network.slug]))
        ),
        f"network answers CSV, {bench.NETWORK_SITES} sites": _prepared(
            small_leader, reverse("network-answers-prepare", args=[small.slug])
        ),
        "one facility's answers CSV": _prepared(
            client, reverse("facility-answers-prepare", args=[a_site.slug])
        ),
        f"partner portfolio after new answers, {bench.PARTNER_SITES} facilities": lambda: (
            facility_services.results_changed(facility_id=shared),
            partner.get(fx.partner.get_absolute_url()),
        ),
        f"results JSON, {bench.LARGE_ROUND:,} respondents": lambda: client.get(
            large + "results.json"
        ),
        f"network quality page made afresh, {bench.NETWORK_SITES} sites": lambda: (
            cache.clear(),
            small_leader.get(reverse("network-quality", args=[small.slug])),
        ),
    }


def report(results: dict[str, list[Plan]]) -> str:
    lines = [
        f"Measured {date.today().isoformat()} on PostgreSQL {connection.pg_version // 10000} "
        "with the benchmark's data. Database time is planning plus execution of the page's "
        f"SELECTs under EXPLAIN ANALYZE; a scan is listed when it read more than {SCAN_ROWS:,} "
        "rows of a table without an index.",
        "",
        "| Page | SELECTs | Database time (ms) | Slowest (ms) | Large scans without an index "
        "| Indexes read |",
        "|---|---|---|---|---|---|",
    ]
    for page, plans in results.items():
        slowest = max(plans, key=lambda p: p.milliseconds, default=None)
        scans = sorted({f"{table} ({rows:,} rows)" for p in plans for table, rows in p.scans})
        indexes = sorted({name for p in plans for name in p.indexes})
        lines.append(
            f"| {page} | {len(plans)} | {sum(p.milliseconds for p in plans):.1f} "
            f"| {slowest.milliseconds if slowest else 0:.1f} | {'; '.join(scans) or 'none'} "
            f"| {', '.join(indexes) or 'none'} |"
        )
    return "\n".join(lines)


def run(fx: bench.Fixture, stdout, *, verbose=False) -> str:
    results = {}
    for page, call in pages(fx).items():
        stdout.write(f"Explaining {page}")
        results[page] = plans_of(call)
        if verbose:
            for plan in sorted(results[page], key=lambda p: -p.milliseconds)[:3]:
                stdout.write(f"  {plan.milliseconds:.1f} ms {plan.scans} {plan.sql[:300]}")
    return report(results)
