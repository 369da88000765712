from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from readiness.perf import load, morning

SCENARIOS = {"staff": load, "morning": morning}


class Command(BaseCommand):
    help = (
        "Load tests through gunicorn on PostgreSQL (docs/performance.md): 'staff', 100 "
        "simulated respondents answering at once; 'morning', the sustained rate of finished "
        "questionnaires a 30,000-person system's morning needs, with one and two app "
        "servers. Afterwards every answer is counted in the database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "scenarios",
            nargs="*",
            metavar="scenario",
            help=f"{', '.join(SCENARIOS)} (default: all)",
        )

    def handle(self, *args, scenarios, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The load test runs on PostgreSQL: set DATABASE_URL.")
        unknown = set(scenarios) - set(SCENARIOS)
        if unknown:
            raise CommandError(f"No such scenario: {', '.join(sorted(unknown))}.")
        failed = [name for name in scenarios or SCENARIOS if not SCENARIOS[name].run(self.stdout)]
        if failed:
            raise CommandError(f"The load test found a problem ({', '.join(failed)}); see above.")
