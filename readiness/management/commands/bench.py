from django.core.management.base import BaseCommand

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

    def handle(self, *args, facilities, rounds, respondents, **options):
        bench.run(facilities=facilities, rounds=rounds, respondents=respondents, stdout=self.stdout)
