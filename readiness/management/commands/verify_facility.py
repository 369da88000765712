from django.core.management.base import BaseCommand, CommandError

from readiness.models import Facility
from readiness.services.facilities import set_verified


class Command(BaseCommand):
    help = (
        "Mark a facility as verified (a real facility, checked by a site administrator), "
        "so that its results, if its owners agree, count in other facilities' peer "
        "comparisons. --undo withdraws the verification. A network's sites count "
        "without it."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The facility's short name, as in its web address.")
        parser.add_argument(
            "--undo", action="store_true", help="Withdraw the facility's verification."
        )

    def handle(self, *args, slug, undo, **options):
        facility = Facility.objects.filter(slug=slug).first()
        if facility is None:
            raise CommandError(f"No facility with the short name {slug!r}.")
        changed = set_verified(facility=facility, verified=not undo)
        if undo:
            self.stdout.write(
                f"{facility.name} ({facility.slug}) is no longer verified."
                if changed
                else f"{facility.name} ({facility.slug}) was not verified."
            )
            if facility.network_id is not None:
                self.stdout.write("It still counts as verified because it belongs to a network.")
        else:
            self.stdout.write(
                f"{facility.name} ({facility.slug}) is verified since {facility.verified_on}."
                if changed
                else f"{facility.name} ({facility.slug}) was already verified on "
                f"{facility.verified_on}."
            )
        self.stdout.write(
            "Peer comparisons change with the next daily snapshot."
            if changed
            else "Nothing changed."
        )
