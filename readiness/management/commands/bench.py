from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from readiness.perf import bench


class Command(BaseCommand):
    help = (
        "Seed a large synthetic data set (in bulk, once) and measure response times, query "
        "counts and transfer sizes against the targets in docs/performance.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--facilities", type=int, default=300)
        parser.add_argument("--rounds", type=int, default=3)
        parser.add_argument("--respondents", type=int, default=40)
        parser.add_argument(
            "--explain",
            action="store_true",
            help="PostgreSQL only: instead of timing, explain the queries of the pages that "
            "must stay flat (readiness/perf/explain.py)",
        )

    def handle(self, *args, facilities, rounds, respondents, explain, **options):
        if explain and connection.vendor != "postgresql":
            raise CommandError("--explain needs PostgreSQL: set DATABASE_URL.")
        bench.run(
            facilities=facilities,
            rounds=rounds,
            respondents=respondents,
            stdout=self.stdout,
            explain=explain,
        )
