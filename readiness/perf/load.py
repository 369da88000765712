"""`make load`: 100 respondents answer at once through gunicorn on PostgreSQL.

Starts gunicorn (2 workers, production settings) on a loopback port, runs locust
headless with the users in locustfile.py (bounded: one questionnaire each, a run-time cap),
then counts in the database that every answer of every respondent is there exactly once.
"""

import csv
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Count

from readiness.models import Answer, DeterminantScore, Facility, Item, Respondent
from readiness.perf import seed, write_section
from readiness.perf.server import Server
from readiness.services.facilities import create_facility, open_round

USERS = 100
SPAWN_RATE = 20
RUN_TIME_LIMIT = "300s"
SLUG = "load-test"


def prepare_round():
    seed.ensure_instrument()
    Facility.objects.filter(slug=SLUG).delete()
    facility = create_facility(name="Load test", slug=SLUG, type="county", state="TX")
    return open_round(facility=facility, label=f"Load {date.today().isoformat()}")


def run_locust(server: Server, link: str, workdir: Path) -> Path:
    env = dict(os.environ, LOAD_ROUND_LINK=link, LOAD_USERS=str(USERS))
    prefix = workdir / "load"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(Path(__file__).with_name("locustfile.py")),
            "Respondent",
            "--headless",
            "--users",
            str(USERS),
            "--spawn-rate",
            str(SPAWN_RATE),
            "--run-time",
            RUN_TIME_LIMIT,
            "--stop-timeout",
            "30",
            "--host",
            server.url,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        check=False,
        cwd=settings.BASE_DIR,
    )
    return prefix.with_name("load_stats.csv")


def check_database(round_) -> dict:
    items = Item.objects.filter(determinant__domain__instrument=round_.instrument).count()
    respondents = Respondent.objects.filter(round=round_)
    per_respondent = set(respondents.annotate(n=Count("answers")).values_list("n", flat=True))
    return {
        "respondents": respondents.count(),
        "finished": respondents.filter(status=Respondent.Status.FINISHED).count(),
        "answers": Answer.objects.filter(respondent__round=round_).count(),
        "expected answers": USERS * items,
        "answers per respondent": sorted(per_respondent),
        "scores": DeterminantScore.objects.filter(respondent__round=round_).count(),
    }


def report(stats_file: Path, counts: dict, seconds: float) -> tuple[str, bool]:
    with stats_file.open() as f:
        rows = list(csv.DictReader(f))
    lines = [
        f"Measured {date.today().isoformat()}: {USERS} simulated respondents, gunicorn with 2 "
        f"workers, {connection.vendor} database, on this {os.cpu_count()}-core machine; "
        f"{seconds:.0f} s from the first request to the last.",
        "",
        "| Request | Count | Failures | Median (ms) | p95 (ms) | p99 (ms) | Max (ms) | Req/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    failures = 0
    for row in rows:
        failures += int(row["Failure Count"]) if row["Name"] == "Aggregated" else 0
        lines.append(
            f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} "
            f"| {row['50%']} | {row['95%']} | {row['99%']} | {float(row['Max Response Time']):.0f} "
            f"| {float(row['Requests/s']):.1f} |"
        )
    ok = (
        failures == 0
        and counts["finished"] == counts["respondents"] == USERS
        and counts["answers"] == counts["expected answers"]
        and len(counts["answers per respondent"]) == 1
    )
    verdict = "All present exactly once, no failed request." if ok else "PROBLEM: see above."
    lines += [
        "",
        f"In the database afterwards: {counts['respondents']} respondents, "
        f"{counts['finished']} finished, {counts['answers']} answers "
        f"(expected {counts['expected answers']}: every item once per respondent; answers "
        f"per respondent: {counts['answers per respondent']}), {counts['scores']} "
        f"determinant scores. {verdict}",
    ]
    return "\n".join(lines), ok


def run(stdout) -> bool:
    round_ = prepare_round()
    with tempfile.TemporaryDirectory() as workdir, Server(workers=2) as server:
        stdout.write(f"{USERS} respondents against {server.url} (gunicorn, 2 workers)")
        started = time.perf_counter()
        stats = run_locust(server, server.url + round_.respondent_link(), Path(workdir))
        seconds = time.perf_counter() - started
        markdown, ok = report(stats, check_database(round_), seconds)
    stdout.write(markdown)
    stdout.write(f"Written to {write_section('load', markdown)}")
    return ok
