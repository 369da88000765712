from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from readiness.management.files import read_json
from readiness.services.interventions import load_interventions

DEFAULT_FILE = Path(settings.BASE_DIR) / "fixtures" / "interventions.json"


class Command(BaseCommand):
    help = "Load the intervention catalogue (default: fixtures/interventions.json); idempotent."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE))

    def handle(self, *args, file, **options):
        data = read_json(file)
        try:
            count = load_interventions(data=data)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"Intervention catalogue: {count} interventions")
