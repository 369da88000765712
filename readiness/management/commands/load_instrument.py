from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from readiness.management.files import read_json
from readiness.services.instrument import load_instrument

DEFAULT_FILE = Path(settings.BASE_DIR) / "fixtures" / "instrument.json"


class Command(BaseCommand):
    help = (
        "Load a version of the questionnaire instrument from JSON (default: "
        "fixtures/instrument.json). Loading the same version again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE))

    def handle(self, *args, file, **options):
        data = read_json(file)
        try:
            result = load_instrument(data=data)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        verb = "Loaded" if result.created else "Already loaded"
        self.stdout.write(f"{verb} instrument version {result.instrument.version}")
