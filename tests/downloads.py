"""Answer-level downloads as people get them: asked for on a page, prepared by the worker,
fetched from the download's page (services/downloads/)."""

from django.urls import resolve, reverse

from readiness.services.downloads import prepare
from tests.clients import audit_log


def asked(client, prepare_url: str, fmt: str, **fields):
    """The response to asking for a download (a redirect to its page when accepted)."""
    return client.post(prepare_url, {"format": fmt, **fields})


def download_id_of(response) -> str:
    assert response.status_code == 302, response.status_code
    match = resolve(response.url)
    assert match.url_name == "download-status", response.url
    return str(match.kwargs["download_id"])


def fetched(client, prepare_url: str, fmt: str, **fields):
    """The file, as its page's link gives it, once the worker prepared it (the task's
    body runs here, inside the test's transaction); the refusal when asking is refused."""
    response = asked(client, prepare_url, fmt, **fields)
    if response.status_code != 302 or resolve(response.url).url_name != "download-status":
        return response
    download_id = download_id_of(response)
    prepare(download_id)
    return client.get(reverse("download-file", args=[download_id]))


def facility_answers(client, slug: str, fmt: str, **fields):
    return fetched(client, reverse("facility-answers-prepare", args=[slug]), fmt, **fields)


def network_answers(client, slug: str, fmt: str):
    return fetched(client, reverse("network-answers-prepare", args=[slug]), fmt)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def audit_downloads(client, slug) -> list[tuple[str, dict]]:
    """(who, details) of each "Data downloaded" event on the facility's audit page."""
    return [
        (who, dict(part.split(": ", 1) for part in details.split("; ")))
        for _when, who, what, details in audit_log(client, slug)
        if what == "Data downloaded"
    ]
