"""Where a prepared download's file lives while it is written and once it is complete, and
the times that tell a lost worker from a slow one."""

import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings

from readiness.models import PreparedDownload

logger = logging.getLogger(__name__)


Status = PreparedDownload.Status


Format = PreparedDownload.Format


# A file being prepared writes its progress at least this often (every batch of
# exports.answers.RESPONDENTS_PER_QUERY respondents takes a second or two); one silent for
# longer lost its worker, and is reported as failed rather than left "being prepared".
SILENT_FOR = timedelta(minutes=10)


# A file still waiting after this long suggests no worker is running: the page says so.
WAITING_LONG = timedelta(minutes=2)


def path_of(download: PreparedDownload) -> Path:
    return Path(settings.DOWNLOADS_DIR) / f"{download.pk}.{download.format}"


def part_of(download: PreparedDownload) -> Path:
    return Path(settings.DOWNLOADS_DIR) / f"{download.pk}.part"
