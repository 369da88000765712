from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from readiness.models import FacilityType, Setting, USState
from readiness.services.facilities import create_facility


class Command(BaseCommand):
    help = "Create a facility."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--slug", required=True)
        parser.add_argument("--type", required=True, choices=FacilityType.values)
        parser.add_argument("--state", required=True, choices=USState.values)
        parser.add_argument("--setting", default="", choices=["", *Setting.values])

    def handle(self, *args, name, slug, type, state, setting, **options):
        try:
            facility = create_facility(
                name=name, slug=slug, type=type, state=state, setting=setting
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"Created facility {facility.name} ({facility.slug})")
