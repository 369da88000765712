from django.core.management.base import BaseCommand

from readiness.models import RESTORE_WITHIN_DAYS
from readiness.services.facilities import purge_deleted_facilities


class Command(BaseCommand):
    help = (
        f"Remove for good every facility its owners deleted more than {RESTORE_WITHIN_DAYS} "
        "days ago, with its rounds and answers (run it daily, e.g. from cron)."
    )

    def handle(self, *args, **options):
        names = purge_deleted_facilities()
        for name in names:
            self.stdout.write(f"Removed {name}")
        self.stdout.write(f"{len(names)} facilities removed for good.")
