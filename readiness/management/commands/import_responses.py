from django.core.management.base import BaseCommand, CommandError

from readiness.models import Facility
from readiness.planner import refresh_statistics
from readiness.services.imports import ImportRejected, import_responses, max_bytes


class Command(BaseCommand):
    help = (
        "Import finished responses from a CSV file with the columns "
        "respondent,role,item,value (value 1-5, DK or NA). The whole file is rejected "
        "if any line is wrong; nothing is stored then. Files larger than the "
        f"IMPORT_MAX_BYTES setting ({max_bytes():,} bytes; by default 5 MB, about "
        "150,000 lines) are refused: split them, keeping each respondent's lines in the "
        "same part, and import the parts into the same round one after the other."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--facility", required=True, help="Facility slug.")
        parser.add_argument("--round", required=True, dest="round_label", help="Round label.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace the answers of respondent ids the round already has.",
        )

    def handle(self, *args, file, facility, round_label, replace, **options):
        facility_obj = Facility.objects.filter(slug=facility).first()
        if facility_obj is None:
            raise CommandError(f"No facility with slug {facility!r}.")
        try:
            opened = open(file, "rb")  # closed below; read as a stream
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        try:
            with opened:
                summary = import_responses(
                    facility=facility_obj,
                    round_label=round_label,
                    source=opened,
                    replace=replace,
                )
        except ImportRejected as rejection:
            raise CommandError("Nothing was imported:\n" + "\n".join(rejection.errors)) from None
        refresh_statistics()
        created = " (new round)" if summary.round_created else ""
        replaced = f", {summary.replaced} replaced" if summary.replaced else ""
        self.stdout.write(
            f"Imported {summary.respondents} respondents and {summary.answers} answers "
            f"into {facility_obj.slug} / {summary.round.label}{created}{replaced}"
        )
