"""`make bench-exports`: answer downloads of a 300-site and a 12-site network among 1,000
facilities on PostgreSQL (opt-in: seeding takes a while; docs/performance.md, Downloads).

Each download is prepared as the task worker prepares it (services/downloads.prepare), in
a process of its own, whose peak memory is counted from the download's start: time until
the file's first answer row, total time, memory in use before and at the peak, rows and
size. The 12-site network's download is
measured again in a database holding only those 12 sites: its time must not depend on
the 988 other facilities. Then the 12-site download's queries are explained (EXPLAIN
ANALYZE, BUFFERS) at 1,000 facilities, naming any large scan without an index.
"""

import json
import os
import subprocess
import sys
from datetime import date

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from readiness.models import Facility, Network, NetworkLeader
from readiness.perf import seed

FACILITIES = 1_000
NETWORKS = (300, 12)  # sites; the 12 sites follow the 300, so no site is in both
ROUNDS, RESPONDENTS = 3, 40


def network_of(sites: int, first: int) -> Network:
    """A network of the bench facilities first .. first + sites - 1, every one allowing
    its network the answer download, led by its own bench user."""
    network, created = Network.objects.get_or_create(
        slug=f"exports-{sites}", defaults={"name": f"Exports network of {sites}"}
    )
    if created:
        NetworkLeader.objects.create(user=seed.bench_user(f"exports-{sites}"), network=network)
        slugs = [f"{seed.BENCH_PREFIX}{n}" for n in range(first, first + sites)]
        Facility.objects.filter(slug__in=slugs).update(network=network, network_answer_access=True)
    return network


# Run in a process of its own (manage.py shell): prepares one download and prints what
# it measured as JSON on its last line.
MEASURE = """
import json, time
from readiness import exports
from readiness.models import Network, PreparedDownload
from readiness.perf import seed
from readiness.services import downloads

network = Network.objects.get(slug={slug!r})
facilities = list(network.facilities.filter(network_answer_access=True))
download = downloads.request_download(
    user=seed.bench_user({leader!r}), kind=PreparedDownload.Kind.NETWORK_ANSWERS,
    fmt={fmt!r}, facilities=facilities, network=network,
)
first_row = []
rows_of = exports.answer_rows

def timed(*args, **kwargs):
    for n, row in enumerate(rows_of(*args, **kwargs)):
        if n == 1 and not first_row:
            first_row.append(time.perf_counter())
        yield row

exports.answer_rows = timed
def memory_mb(field):
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024

with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # the peak starts again from here (Linux)
before = memory_mb("VmRSS")
start = time.perf_counter()
downloads.prepare(download.pk)
end = time.perf_counter()
download.refresh_from_db()
print(json.dumps({{
    "status": download.status, "failure": download.failure,
    "first_row": (first_row[0] - start) if first_row else None, "total": end - start,
    "rows": download.rows, "size": download.size,
    "before_mb": before,
    "peak_mb": memory_mb("VmHWM"),
}}))
downloads.forget(download)
"""


def measure(database_url: str, sites: int, fmt: str) -> dict:
    script = MEASURE.format(slug=f"exports-{sites}", leader=f"exports-{sites}", fmt=fmt)
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=settings.BASE_DIR,
        env=dict(os.environ, DATABASE_URL=database_url),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def explained_queries(network: Network) -> list:
    """The 12-site download's SELECTs, each under EXPLAIN ANALYZE (explain.py)."""
    from readiness.models import PreparedDownload
    from readiness.perf.explain import explain
    from readiness.services import downloads

    download = downloads.request_download(
        user=seed.bench_user(f"exports-{NETWORKS[1]}"),
        kind=PreparedDownload.Kind.NETWORK_ANSWERS,
        fmt="csv",
        facilities=list(network.facilities.all()),
        network=network,
    )
    with CaptureQueriesContext(connection) as captured:
        downloads.prepare(download.pk)
    downloads.forget(download)
    return [explain(q["sql"]) for q in captured if q["sql"].lstrip().upper().startswith("SELECT")]


def _seed(stdout, facilities: int) -> None:
    seed.seed(facilities=facilities, rounds=ROUNDS, respondents=RESPONDENTS, stdout=stdout)
    first = 0
    for sites in NETWORKS:
        if facilities >= first + sites:
            network_of(sites, first)
        first += sites


def run(stdout, *, small_database_url: str) -> str:
    if connection.vendor != "postgresql":
        raise RuntimeError("the export scenario runs on PostgreSQL")
    database_url = os.environ["DATABASE_URL"]
    stdout.write(f"Seeding {FACILITIES} facilities x {ROUNDS} rounds x {RESPONDENTS} people")
    _seed(stdout, FACILITIES)
    from readiness.models import Answer

    answers = Answer.objects.count()
    # the 12 sites alone, in a database of their own: the same download with and without
    # the other 988 facilities
    stdout.write("Seeding the 12 sites alone")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env=dict(os.environ, DATABASE_URL=small_database_url),
        check=True,
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SEED_SMALL],
        cwd=settings.BASE_DIR,
        env=dict(os.environ, DATABASE_URL=small_database_url),
        check=True,
    )
    results = []
    for label, url, sites, fmt in (
        (f"{NETWORKS[0]} sites among {FACILITIES:,}", database_url, NETWORKS[0], "csv"),
        (f"{NETWORKS[0]} sites among {FACILITIES:,}", database_url, NETWORKS[0], "zip"),
        (f"{NETWORKS[0]} sites among {FACILITIES:,}", database_url, NETWORKS[0], "xlsx"),
        (f"{NETWORKS[1]} sites among {FACILITIES:,}", database_url, NETWORKS[1], "csv"),
        (f"{NETWORKS[1]} sites among {FACILITIES:,}", database_url, NETWORKS[1], "xlsx"),
        (f"{NETWORKS[1]} sites alone", small_database_url, NETWORKS[1], "csv"),
        (f"{NETWORKS[1]} sites alone", small_database_url, NETWORKS[1], "xlsx"),
    ):
        stdout.write(f"Preparing the answers of {label} as {fmt}")
        results.append((label, fmt, measure(url, sites, fmt)))
    plans = explained_queries(Network.objects.get(slug=f"exports-{NETWORKS[1]}"))
    return report(results, plans, answers)


# The 12 sites alone: 12 facilities seeded the same way (the same rounds, people and
# statements answered; other random answers), as one network.
SEED_SMALL = f"""
from readiness.perf import exports, seed
seed.seed(facilities={NETWORKS[1]}, rounds={ROUNDS}, respondents={RESPONDENTS})
exports.network_of({NETWORKS[1]}, 0)
"""


def report(results, plans, answers: int) -> str:
    lines = [
        f"Measured {date.today().isoformat()} on PostgreSQL {connection.pg_version // 10000}: "
        f"{FACILITIES:,} facilities x {ROUNDS} rounds x {RESPONDENTS} people, {answers:,} "
        "answers. Each download prepared as the task worker prepares it, in a process of "
        "its own.",
        "",
        "| Download | Format | First row (s) | Total (s) | Rows | Size (MB) "
        "| Memory in use before / peak (MB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, fmt, found in results:
        if found["status"] != "ready":
            refused = f"refused: {found['failure']}"
            lines.append(f"| {label} | {fmt} | – | {found['total']:.1f} | {refused} | – | – |")
            continue
        first = f"{found['first_row']:.2f}" if found["first_row"] is not None else "–"
        lines.append(
            f"| {label} | {fmt} | {first} | {found['total']:.1f} | {found['rows']:,} | "
            f"{found['size'] / 1e6:.1f} | {found['before_mb']:.0f} / {found['peak_mb']:.0f} |"
        )
    slowest = max(plans, key=lambda plan: plan.milliseconds)
    scans = [scan for plan in plans for scan in plan.scans]
    lines += [
        "",
        f"The {NETWORKS[1]}-site download's {len(plans)} queries at {FACILITIES:,} facilities "
        f"take {sum(p.milliseconds for p in plans):.0f} ms in the database; the slowest "
        f"{slowest.milliseconds:.0f} ms, through "
        + (", ".join(f"`{name}`" for name in sorted(slowest.indexes)) or "no index")
        + ". "
        + (
            "Large scans without an index: "
            + ", ".join(f"{table} ({rows:,} rows)" for table, rows in scans)
            if scans
            else "No scan read more than 5,000 rows of a table without an index."
        ),
    ]
    return "\n".join(lines)
