from django.core.management.base import BaseCommand

from readiness.services.downloads import purge_expired


class Command(BaseCommand):
    help = (
        "Delete the prepared downloads past their time (settings.DOWNLOADS_KEPT_HOURS) with "
        "their files, and the partial files of downloads that failed (run it hourly or "
        "daily, e.g. from cron; asking for a download also does it)."
    )

    def handle(self, *args, **options):
        count = purge_expired()
        self.stdout.write(f"{count} expired downloads deleted.")
