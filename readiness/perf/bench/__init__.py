"""`make bench`: response times, query counts and transfer sizes against targets.

Times are medians and 95th percentiles over many requests; targets are ratios to the
sign-in page measured in the same run, because absolute times on a shared 2-core machine
are noise. See docs/performance.md for the targets and the latest results.
"""

import time

from django.test.utils import override_settings

from readiness.perf import seed, write_section
from readiness.perf.bench.fixture import (
    LARGE_ROUND,
    NETWORK_SITES,
    PARTNER_MEMBER,
    PARTNER_SITES,
    Fixture,
    prepare,
    scale_leader,
)
from readiness.perf.bench.in_process import measure_client, query_counts, results_changed
from readiness.perf.bench.report import evaluate, report
from readiness.perf.bench.through_server import lighthouse_scores, measure_server, transfer_sizes
from readiness.perf.bench.timing import Timing
from readiness.perf.server import UNLIMITED, Server


def run(*, facilities, rounds, respondents, stdout, explain=False) -> str:
    stdout.write(f"Seeding {facilities} facilities x {rounds} rounds x {respondents} respondents")
    start = time.perf_counter()
    seed.seed(facilities=facilities, rounds=rounds, respondents=respondents, stdout=stdout)
    fx = prepare(stdout)
    from readiness.models import Answer

    answers = Answer.objects.count()
    seeded = time.perf_counter() - start
    note = (
        f"Data: {facilities} facilities x {rounds} rounds x {respondents} respondents, "
        f"{answers:,} answers in all ("
        + (f"seeded in {seeded:.0f} s" if seeded > 5 else "seeded by an earlier run")
        + ")."
    )
    if explain:
        from readiness.perf import explain as explaining

        markdown = explaining.run(fx, stdout, verbose=True)
        stdout.write(markdown)
        stdout.write(f"Written to {write_section('explain', markdown)}")
        return markdown
    stdout.write("Measuring through the test client")
    with override_settings(RESPONDENT_RATE=UNLIMITED, RESPONDENT_RATE_PER_ADDRESS=UNLIMITED):
        client_t = measure_client(fx)
        queries = query_counts(fx)
    with Server() as server:
        stdout.write(f"Measuring through gunicorn at {server.url}")
        server_t = measure_server(fx, server)
        sizes = transfer_sizes(fx, server)
        stdout.write("Measuring with Lighthouse")
        lighthouse = lighthouse_scores(fx, server)
    markdown = report(client_t, server_t, queries, sizes, note, lighthouse)
    stdout.write(markdown)
    stdout.write(f"Written to {write_section('bench', markdown)}")
    return markdown


# What perf/explain.py and the tests of the targets read.
__all__ = [
    "LARGE_ROUND",
    "NETWORK_SITES",
    "PARTNER_MEMBER",
    "PARTNER_SITES",
    "Fixture",
    "Timing",
    "evaluate",
    "results_changed",
    "run",
    "scale_leader",
]
