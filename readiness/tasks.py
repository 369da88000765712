"""Work done outside web requests, by `manage.py db_worker` (settings.TASKS): nothing in a
request may take longer than a few seconds, and a large download takes minutes."""

from django_tasks import task

from readiness.services import downloads


@task()
def prepare_download(download_id: str) -> None:
    """Write a prepared download's file (services/downloads.prepare)."""
    downloads.prepare(download_id)
