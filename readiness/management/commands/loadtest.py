from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from readiness.perf import load


class Command(BaseCommand):
    help = (
        "100 simulated respondents complete the questionnaire at once through gunicorn; "
        "then every answer is counted in the database (docs/performance.md)."
    )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The load test runs on PostgreSQL: set DATABASE_URL.")
        if not load.run(self.stdout):
            raise CommandError("The load test found a problem; see above.")
