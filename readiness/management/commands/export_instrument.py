import json

from django.core.management.base import BaseCommand, CommandError

from readiness.models import Instrument
from readiness.services.instrument import export_instrument


class Command(BaseCommand):
    help = "Print an instrument version as JSON (default: the current one)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--instrument-version", dest="instrument_version", help="Instrument version."
        )

    def handle(self, *args, instrument_version=None, **options):
        if instrument_version:
            instrument = Instrument.objects.filter(version=instrument_version).first()
        else:
            instrument = Instrument.current()
        if instrument is None:
            raise CommandError("No such instrument is loaded; run load_instrument first.")
        self.stdout.write(json.dumps(export_instrument(instrument), indent=1, ensure_ascii=False))
