from django.core.management.base import BaseCommand

from readiness.services.downloads import purge_expired


class Command(BaseCommand):
    help = (
        "Delete the prepared downloads past their time (settings.DOWNLOADS_KEPT_HOURS) with "
        "their files, the partial files of downloads that failed, and files a killed worker "
        "left (run it hourly, e.g. from cron; asking for a download does all but the last)."
    )

    def handle(self, *args, **options):
        count = purge_expired(strays=True)
        self.stdout.write(f"{count} expired downloads deleted.")
