from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from readiness.management.files import read_json
from readiness.services.instrument import load_instrument

# Oldest first: new rounds use the version loaded last (Instrument.current).
DEFAULT_FILES = [
    Path(settings.BASE_DIR) / "fixtures" / "instrument.json",
    Path(settings.BASE_DIR) / "fixtures" / "instrument-2027.1.json",
]


class Command(BaseCommand):
    help = (
        "Load versions of the questionnaire instrument from JSON, in the order given "
        "(default: fixtures/instrument.json, then fixtures/instrument-2027.1.json). "
        "Loading the same version again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", default=[str(path) for path in DEFAULT_FILES])

    def handle(self, *args, files, **options):
        for file in files:
            data = read_json(file)
            try:
                result = load_instrument(data=data)
            except ValidationError as error:
                raise CommandError(f"{file}: " + "; ".join(error.messages)) from None
            if result.created:
                said = "Loaded instrument version"
            elif result.corrected:
                said = "Corrected the texts or translations of instrument version"
            else:
                said = "Already loaded instrument version"
            self.stdout.write(f"{said} {result.instrument.version}")
