import json

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from readiness import disclosure
from readiness.models import Facility, Instrument


class Command(BaseCommand):
    help = (
        "Print how good the questions are, as JSON, for researchers: Cronbach's alpha and "
        "each statement's corrected item-total correlation per determinant, from the "
        "published responses of every facility (or of one network's sites) on one "
        "questionnaire version, under the same small-group rules as the network page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--instrument-version", dest="version", help="Default: the newest.")
        parser.add_argument("--network", help="Only this network's sites (its short name).")

    def handle(self, *args, version=None, network=None, **options):
        instrument = (
            Instrument.objects.filter(version=version).first() if version else Instrument.current()
        )
        if instrument is None:
            raise CommandError("No such instrument is loaded; run load_instrument first.")
        # Real facilities only, as for peer comparisons: a facility anyone can create
        # could add made-up people to push a small real group over the minimum.
        facilities = Facility.objects.filter(
            Q(verified_on__isnull=False) | Q(network__isnull=False)
        )
        if network:
            facilities = facilities.filter(network__slug=network)
            if not facilities.exists():
                raise CommandError(f"No network with the short name {network!r}, or no sites.")
        rows = disclosure.instrument_quality(facilities, instrument)
        self.stdout.write(
            json.dumps(
                {
                    "instrument": instrument.version,
                    "determinants": [
                        {
                            "code": row.determinant.code,
                            "suppressed": row.hidden,
                            "respondents": row.reliability.respondents if row.reliability else None,
                            "alpha": _round(row.reliability.alpha) if row.reliability else None,
                            "items": [
                                {
                                    "code": fit.code,
                                    "item_total": _round(fit.item_total),
                                    "respondents": fit.respondents,
                                }
                                for fit in (row.reliability.items if row.reliability else [])
                            ],
                        }
                        for row in rows
                    ],
                },
                indent=1,
            )
        )


def _round(value):
    return None if value is None else round(value, 4)
