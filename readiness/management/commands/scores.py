import json

from django.core.management.base import BaseCommand, CommandError

from readiness.models import Round
from readiness.scoring import score_round


class Command(BaseCommand):
    help = "Print a round's scores as JSON (the rules are in docs/scoring.md)."

    def add_arguments(self, parser):
        parser.add_argument("--facility", required=True, help="Facility slug.")
        parser.add_argument("--round", required=True, dest="round_label", help="Round label.")

    def handle(self, *args, facility, round_label, **options):
        round_ = Round.objects.filter(facility__slug=facility, label=round_label).first()
        if round_ is None:
            raise CommandError(f"No round {round_label!r} for facility {facility!r}.")
        self.stdout.write(json.dumps(score_round(round_).to_json(), indent=1))
