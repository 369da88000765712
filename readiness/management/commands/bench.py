from django.conf import settings
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
            "--exports",
            action="store_true",
            help="PostgreSQL only: instead of timing pages, prepare the answer downloads of "
            "networks of 300 and 12 sites among 1,000 facilities (readiness/perf/exports.py)",
        )
        parser.add_argument(
            "--small-database-url",
            default="postgres://postgres@127.0.0.1:5432/readiness_exports_small",
            help="with --exports: the database where the 12 sites are seeded alone",
        )
        parser.add_argument(
            "--explain",
            action="store_true",
            help="PostgreSQL only: instead of timing, explain the queries of the pages that "
            "must stay flat (readiness/perf/explain.py)",
        )

    def handle(self, *args, facilities, rounds, respondents, explain, exports, **options):
        if (explain or exports) and connection.vendor != "postgresql":
            raise CommandError("--explain and --exports need PostgreSQL: set DATABASE_URL.")
        if not exports:
            self.check_sizes(facilities=facilities, rounds=rounds, respondents=respondents)
        if exports:
            from readiness.perf import exports as scenario
            from readiness.perf import write_section

            markdown = scenario.run(self.stdout, small_database_url=options["small_database_url"])
            self.stdout.write(markdown)
            self.stdout.write(f"Written to {write_section('exports', markdown)}")
            return
        bench.run(
            facilities=facilities,
            rounds=rounds,
            respondents=respondents,
            stdout=self.stdout,
            explain=explain,
        )

    @staticmethod
    def check_sizes(*, facilities, rounds, respondents):
        """What the measured pages need of the seed, refused before anything is seeded: the
        network of NETWORK_SITES sites, the larger networks' sites (each copies three
        consecutive seeded rounds, which must have three different labels), and results
        that every page may show."""
        if facilities < bench.NETWORK_SITES:
            raise CommandError(
                f"--facilities must be at least {bench.NETWORK_SITES}: the network measured "
                f"has {bench.NETWORK_SITES} sites."
            )
        if rounds < 3:
            raise CommandError(
                "--rounds must be at least 3: each site of the larger networks copies three "
                "rounds of a seeded facility."
            )
        if respondents < settings.DISCLOSURE_MIN_GROUP:
            raise CommandError(
                f"--respondents must be at least {settings.DISCLOSURE_MIN_GROUP}, the smallest "
                "group shown: a round with fewer shows no results to measure."
            )
