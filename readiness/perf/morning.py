"""`make load`, second scenario: the morning a 30,000-person health system answers.

The server, not the people, sets the pace: simulated browsers (locustfile.MorningRespondent)
answer one questionnaire after another with no pause, in steps of more and more at once,
against gunicorn (2 workers, production settings) on PostgreSQL. Each step measures the
sustained rate of finished questionnaires, from locust's per-second history once every
browser has started, with the CPU that the app, PostgreSQL and locust itself used, and
how often a database connection was waiting for a lock. Then the same steps run against
two app servers on one port (the kernel sharing connections among them, as a proxy
would). Afterwards, the database must hold every finished questionnaire that locust saw
finish, each with every answer exactly once.
"""

import csv
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psutil
from django.conf import settings
from django.db import connection, connections
from django.db.models import Count

from readiness.models import Answer, Facility, Respondent
from readiness.perf import seed, write_section
from readiness.perf.server import Server, free_port
from readiness.services.facilities import create_facility, open_round

SLUG = "morning-load-test"
STAFF = 30_000
# Browsers answering at once, each with no pause between pages.
STEPS = (2, 4, 8, 16)
STEP_SECONDS = 30
# The first seconds of a step are browsers starting and pages warming; not measured.
SETTLE_SECONDS = 6
SAMPLE_EVERY = 0.5


def prepare_round():
    seed.ensure_instrument()
    Facility.objects.filter(slug=SLUG).delete()
    facility = create_facility(name="Morning load test", slug=SLUG, type="academic", state="CA")
    return open_round(facility=facility, label=f"Morning {date.today().isoformat()}")


@dataclass
class Meter:
    """CPU seconds used by each group of processes, and how often a connection to the
    database was waiting for a lock, sampled while a step runs."""

    groups: dict  # name -> callable returning the group's processes
    first: dict = field(default_factory=dict)  # (group, pid) -> CPU seconds at first sight
    last: dict = field(default_factory=dict)
    samples: int = 0
    lock_waits: int = 0  # connections seen waiting for a lock, summed over samples
    disk_waits: int = 0  # connections seen waiting for a write to disk (IO)
    active: int = 0  # connections seen running a query, summed over samples

    def sample(self):
        for name, processes in self.groups.items():
            for process in processes():
                try:
                    times = process.cpu_times()
                except psutil.Error:
                    continue
                used = times.user + times.system
                key = (name, process.pid)
                # a process born during the step used all its CPU within it
                self.first.setdefault(key, used if self.samples == 0 else 0.0)
                self.last[key] = used
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), "
                "count(*) FILTER (WHERE wait_event_type = 'IO'), count(*) "
                "FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
                "AND datname = current_database()"
            )
            locks, disk, active = cursor.fetchone()
        self.lock_waits += locks
        self.disk_waits += disk
        self.active += active
        self.samples += 1

    def cpu(self, name: str) -> float:
        return sum(self.last[k] - self.first[k] for k in self.last if k[0] == name)


def _tree(pid: int):
    def processes():
        try:
            parent = psutil.Process(pid)
            return [parent, *parent.children(recursive=True)]
        except psutil.Error:
            return []

    return processes


def _postgres():
    # every PostgreSQL process of the machine: run the load test on a quiet one
    return [p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"]


def _finished(round_) -> int:
    return Respondent.objects.filter(round=round_, status=Respondent.Status.FINISHED).count()


def run_step(servers, url: str, round_, users: int, workdir: Path) -> dict:
    link = round_.respondent_link()
    prefix = workdir / f"step{users}"
    count_file = workdir / f"step{users}.count"
    env = dict(os.environ, LOAD_ROUND_LINK=link, LOAD_COUNT_FILE=str(count_file))
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(Path(__file__).with_name("locustfile.py")),
        "MorningRespondent",
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{STEP_SECONDS}s",
        # a browser stopped by the clock finishes the questionnaire it is in, so that
        # every questionnaire begun is finished and counted
        "--stop-timeout",
        "60",
        "--host",
        url,
        "--csv",
        str(prefix),
        "--csv-full-history",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    locust = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)  # noqa: S603
    groups = {"app": lambda: [p for s in servers for p in _tree(s.process.pid)()]}
    groups |= {"database": _postgres, "locust": _tree(locust.pid)}
    meter = Meter(groups)
    before = _finished(round_)
    machine = psutil.cpu_times()
    started = time.monotonic()
    while locust.poll() is None:
        if time.monotonic() - started < STEP_SECONDS:
            meter.sample()
        time.sleep(SAMPLE_EVERY)
    measured = min(time.monotonic() - started, STEP_SECONDS)
    idle = psutil.cpu_times().idle - machine.idle
    return _read_step(prefix, users) | {
        "finished": int(count_file.read_text()),
        "stored": _finished(round_) - before,
        "idle": idle / (time.monotonic() - started),
        "cpu": {name: meter.cpu(name) / measured for name in groups},
        "lock waits": meter.lock_waits / max(meter.samples, 1),
        "disk waits": meter.disk_waits / max(meter.samples, 1),
        "busy connections": meter.active / max(meter.samples, 1),
    }


def _read_step(prefix: Path, users: int) -> dict:
    with prefix.with_name(prefix.name + "_stats.csv").open() as f:
        totals = {row["Name"]: row for row in csv.DictReader(f)}
    with prefix.with_name(prefix.name + "_stats_history.csv").open() as f:
        history = [
            row
            for row in csv.DictReader(f)
            if row["Name"] == "finished" and int(row["User Count"]) == users
        ]
    start = int(history[0]["Timestamp"]) + SETTLE_SECONDS if history else 0
    settled = [r for r in history if int(r["Timestamp"]) >= start]
    if len(settled) < 2 or settled[0]["Timestamp"] == settled[-1]["Timestamp"]:
        raise RuntimeError(f"locust's history of the {users}-browser step is too short")
    first, last = settled[0], settled[-1]
    seconds = int(last["Timestamp"]) - int(first["Timestamp"])
    finished = int(last["Total Request Count"]) - int(first["Total Request Count"])
    return {
        "users": users,
        "rate": finished / seconds,
        "seconds": seconds,
        "failures": int(totals["Aggregated"]["Failure Count"]),
        "requests per second": float(totals["Aggregated"]["Requests/s"]),
        "questionnaire median s": float(totals["finished"]["50%"]) / 1000,
        "request p95 ms": float(totals["Aggregated"]["95%"]),
    }


def redis_url() -> str | None:
    """The Redis to measure against, when one answers (MORNING_REDIS_URL, by default a
    spare database of a local Redis, which each run empties)."""
    url = os.environ.get("MORNING_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001 - any reason means "not measured"
        return None
    return url


def configurations() -> list[tuple[str, int, dict]]:
    """(what is measured, app servers, settings): the production default, the shared
    cache on Redis, and a second app server with the better of the two."""
    redis = redis_url()
    shared = {"CACHE_URL": redis} if redis else {}
    runs = [("one app server, database cache", 1, {})]
    if redis:
        runs.append(("one app server, Redis cache", 1, shared))
    runs.append((f"two app servers, {'Redis' if redis else 'database'} cache", 2, shared))
    return runs


def _steps(name, servers, round_, workdir) -> list[dict]:
    url = servers[0].url
    return [run_step(servers, url, round_, users, workdir) | {"run": name} for users in STEPS]


def run_configuration(name, servers: int, env: dict, round_, workdir, stdout) -> list[dict]:
    port = free_port()
    with ExitStack() as stack:
        started = [
            stack.enter_context(Server(workers=2, port=port, reuse_port=True, env=env))
            for _ in range(servers)
        ]
        stdout.write(f"Morning: {name} at {started[0].url}")
        if env.get("CACHE_URL"):
            import redis

            redis.Redis.from_url(env["CACHE_URL"]).flushdb()  # a spare database: ours
        return _steps(name, started, round_, workdir)


def check_database(round_, rows: list[dict]) -> tuple[dict, bool]:
    finished = Respondent.objects.filter(round=round_, status=Respondent.Status.FINISHED)
    per_respondent = sorted(set(finished.annotate(n=Count("answers")).values_list("n", flat=True)))
    duplicates = (
        Answer.objects.filter(respondent__round=round_)
        .values("respondent", "item")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    counts = {
        "finished": finished.count(),
        "seen finished": sum(r["finished"] for r in rows),
        "steps that differ": [
            (r["run"], r["users"], r["finished"], r["stored"])
            for r in rows
            if r["finished"] != r["stored"]
        ],
        "in progress": Respondent.objects.filter(round=round_)
        .exclude(status=Respondent.Status.FINISHED)
        .count(),
        "answers per finished respondent": per_respondent,
        "answers": Answer.objects.filter(respondent__in=finished).count(),
        "duplicates": duplicates,
    }
    ok = (
        counts["finished"] == counts["seen finished"]
        and not counts["steps that differ"]
        and len(per_respondent) == 1
        and not duplicates
        and not any(r["failures"] for r in rows)
    )
    return counts, ok


def report(rows: list, counts: dict, ok: bool) -> str:
    cores = os.cpu_count()
    lines = [
        f"Measured {date.today().isoformat()} on this {cores}-core machine: PostgreSQL "
        f"{connection.pg_version // 10000}, gunicorn with 2 workers per app server "
        "(production settings), locust on the same machine. Each step: that many browsers "
        f"answering one questionnaire after another with no pause for {STEP_SECONDS} s; the "
        f"rate is finished questionnaires per second once all had started (after "
        f"{SETTLE_SECONDS} s). CPU is in cores (of {cores}) over the step, idle is what "
        "the machine had left; busy connections and lock waits are the average number of "
        "the app's database connections seen running a query, and waiting for a lock, "
        "in samples every half second; disk waits, waiting for PostgreSQL to write to "
        "disk (a commit's WAL, mostly).",
        "",
        "| Run | Browsers | Finished/s | Requests/s | Request p95 (ms) "
        "| One questionnaire (s, median) | Failures | CPU app | CPU PostgreSQL | CPU locust "
        "| Idle | Busy connections | Lock waits | Disk waits |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['run']} | {r['users']} | {r['rate']:.1f} | {r['requests per second']:.0f} "
            f"| {r['request p95 ms']:.0f} | {r['questionnaire median s']:.2f} | {r['failures']} "
            f"| {r['cpu']['app']:.2f} | {r['cpu']['database']:.2f} | {r['cpu']['locust']:.2f} "
            f"| {r['idle']:.2f} | {r['busy connections']:.2f} | {r['lock waits']:.2f} "
            f"| {r['disk waits']:.2f} |"
        )
    lines.append("")
    clean = [r for r in rows if not r["failures"]]
    for name in dict.fromkeys(r["run"] for r in clean):
        best = max((r for r in clean if r["run"] == name), key=lambda r: r["rate"])
        lines.append(
            f"- {name}: at most {best['rate']:.1f} finished questionnaires per second "
            f"({best['users']} browsers); all {STAFF:,} staff would take "
            f"{STAFF / best['rate'] / 60:.0f} minutes of its time."
        )
    if clean:
        # what one finished questionnaire costs, at the fastest step of one app server
        one = max((r for r in clean if r["run"] == clean[0]["run"]), key=lambda r: r["rate"])
        cost = {name: one["cpu"][name] / one["rate"] for name in ("app", "database", "locust")}
        lines += [
            "",
            f"One finished questionnaire costs {cost['app']:.2f} s of CPU in the app, "
            f"{cost['database']:.2f} s in PostgreSQL and {cost['locust']:.2f} s in locust "
            f"({clean[0]['run']}, {one['users']} browsers): {sum(cost.values()):.2f} s in "
            f"all, so {cores} cores could finish at most {cores / sum(cost.values()):.1f} a "
            f"second. {one['idle']:.2f} cores were left idle while, on average, "
            f"{one['disk waits']:.2f} of the {one['busy connections']:.2f} busy database "
            f"connections waited for a write to disk and {one['lock waits']:.2f} for a "
            "lock. On servers of their own, one core of "
            f"PostgreSQL would serve {1 / cost['database']:.0f} a second and one app core "
            f"{1 / cost['app']:.1f}.",
        ]
    morning, hour = 4 * 3600, 3600
    lines += [
        "",
        f"What a morning needs: {STAFF:,} staff over 4 hours is {STAFF / morning:.1f} "
        f"finished questionnaires per second on average; all of them in one hour, "
        f"{STAFF / hour:.1f} per second.",
        "",
        f"In the database afterwards: {counts['finished']:,} finished questionnaires (locust "
        f"saw {counts['seen finished']:,} finish; steps where the two differ: "
        f"{counts['steps that differ'] or 'none'}), {counts['answers']:,} answers of theirs, "
        f"answers per finished respondent {counts['answers per finished respondent']}, "
        f"{counts['duplicates']} duplicated answers, {counts['in progress']} begun and "
        "not finished. "
        + ("Every answer counted exactly once." if ok else "PROBLEM: see the counts."),
    ]
    return "\n".join(lines)


def run(stdout) -> bool:
    round_ = prepare_round()
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for name, servers, env in configurations():
            rows += run_configuration(name, servers, env, round_, Path(workdir), stdout)
    counts, ok = check_database(round_, rows)
    markdown = report(rows, counts, ok)
    stdout.write(markdown)
    stdout.write(f"Written to {write_section('morning', markdown)}")
    return ok
