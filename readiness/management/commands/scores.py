import json

from django.core.management.base import BaseCommand, CommandError

from readiness import disclosure
from readiness.models import Round
from readiness.scoring import score_round


class Command(BaseCommand):
    help = (
        "Print a round's results as JSON: what the facility's owners see (docs/privacy.md), "
        "or with --unsuppressed the operator's full figures (docs/scoring.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--facility", required=True, help="Facility slug.")
        parser.add_argument("--round", required=True, dest="round_label", help="Round label.")
        parser.add_argument(
            "--unsuppressed",
            action="store_true",
            help=(
                "Every finished respondent's answers, with no disclosure rule but hidden "
                "role cells: for the site operator only, never to be passed on."
            ),
        )

    def handle(self, *args, facility, round_label, unsuppressed, **options):
        round_ = (
            Round.objects.select_related("facility", "instrument")
            .filter(facility__slug=facility, label=round_label)
            .first()
        )
        if round_ is None:
            raise CommandError(f"No round {round_label!r} for facility {facility!r}.")
        if unsuppressed:
            data = score_round(round_).to_json()
        else:
            data = disclosure.round_results(round_, scope=disclosure.Scope.everything())
        self.stdout.write(json.dumps(data, indent=1))
