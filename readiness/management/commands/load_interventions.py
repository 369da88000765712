import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from readiness.services.interventions import load_interventions

DEFAULT_FILE = Path(settings.BASE_DIR) / "fixtures" / "interventions.json"


class Command(BaseCommand):
    help = "Load the intervention catalogue (default: fixtures/interventions.json); idempotent."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE))

    def handle(self, *args, file, **options):
        try:
            data = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        try:
            count = load_interventions(data=data)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"Intervention catalogue: {count} interventions")
