"""Answer-level downloads prepared in the background (services/downloads/): asked for on
a page, written by the worker, fetched from their own page by the people entitled to them,
never delivered half-written, gone when they expire."""

import csv
import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from readiness import exports
from readiness.models import AuditEvent, Item, Membership, PreparedDownload
from readiness.services import downloads
from tests.clients import Client, login
from tests.conftest import import_rows, make_user
from tests.downloads import asked, body_of, download_id_of
from tests.pages import table, text_of

Status = PreparedDownload.Status


def nurses(facility, label="Spring", count=4, items=("LEGAL-1", "LEGAL-2")):
    rows = [(f"p{n}", "nurse", item, 1 + n % 5) for n in range(count) for item in items]
    return import_rows(facility, label, rows).round


def ask(client, fmt="csv", slug="mercy", **fields) -> str:
    return download_id_of(
        asked(client, reverse("facility-answers-prepare", args=[slug]), fmt, **fields)
    )


def state(client, download_id) -> dict:
    response = client.get(reverse("download-progress", args=[download_id]))
    return {"http": response.status_code} | response.json()


def files_in(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


# --- Asking, preparing, fetching --------------------------------------------------------


def test_a_download_is_asked_for_prepared_and_fetched_with_each_step_in_the_audit_log(
    facility, owner, instrument, downloads_dir
):
    nurses(facility)
    client = login(owner)
    download_id = ask(client)
    assert state(client, download_id) | {"http": 200} == {
        "http": 200,
        "status": "queued",
        "status_label": "Waiting to start",
        "done": 0,
        "total": None,
        "percent": 0,
        "failure": "",
        "file_url": None,
        "count_label": "",
        "size_label": "",
    }
    page = client.get(reverse("download-status", args=[download_id])).content.decode()
    assert text_of(page, "download-status") == "Waiting to start"
    assert files_in(downloads_dir) == []

    downloads.prepare(download_id)
    found = state(client, download_id)
    file_url = reverse("download-file", args=[download_id])
    assert (found["status"], found["done"], found["total"], found["file_url"]) == (
        "ready",
        4,
        4,
        file_url,
    )
    assert found["size_label"].startswith("8 answers · ")
    page = client.get(reverse("download-status", args=[download_id])).content.decode()
    assert text_of(page, "download-status") == "Ready"
    response = client.get(file_url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(body_of(response).decode())))
    assert len(rows) == 8 and {row["role"] for row in rows} == {"nurse"}
    actions = list(
        AuditEvent.objects.filter(facility=facility)
        .order_by("pk")
        .values_list("action", "username")
    )
    assert actions[-2:] == [
        (AuditEvent.Action.DOWNLOAD_PREPARED, "owner"),
        (AuditEvent.Action.EXPORTED, "owner"),
    ]


def test_asking_twice_while_it_is_prepared_makes_one_file(facility, owner, instrument):
    nurses(facility)
    client = login(owner)
    first, second = ask(client), ask(client)
    assert first == second
    assert PreparedDownload.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD_PREPARED).count() == 1
    # another format, or the same once ready, is another file
    assert ask(client, "xlsx") != first
    downloads.prepare(first)
    assert ask(client) != first


def test_a_format_not_offered_is_refused_with_a_message_and_prepares_nothing(
    facility, owner, instrument, network, leader
):
    nurses(facility)
    facility.network = network
    facility.network_answer_access = True
    facility.save()
    for client, url, fmt in (
        (login(owner), reverse("facility-answers-prepare", args=["mercy"]), "pdf"),
        (login(owner), reverse("facility-answers-prepare", args=["mercy"]), ""),
        # a network's file is never one JSON document
        (login(leader), reverse("network-answers-prepare", args=[network.slug]), "json"),
    ):
        response = client.post(url, {"format": fmt}, follow=True)
        assert [str(m) for m in response.context["messages"]] == [
            "Choose one of the formats offered."
        ]
    assert not PreparedDownload.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD_PREPARED).exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_prepares_what_a_page_asked_for(instrument, downloads_dir):
    """The real queue: asking commits a task to the database, `manage.py db_worker`
    takes it and writes the file."""
    from readiness.services.facilities import create_facility

    facility = create_facility(name="Mercy Clinic", slug="mercy", type="fqhc", state="CA")
    owner = make_user("owner")
    Membership.objects.create(user=owner, facility=facility, level=Membership.Level.OWNER)
    nurses(facility)
    client = login(owner)
    download_id = ask(client, "zip")
    assert PreparedDownload.objects.get(pk=download_id).status == Status.QUEUED
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert state(client, download_id)["status"] == "ready"
    assert files_in(downloads_dir) == [f"{download_id}.zip"]


# --- What the files hold -----------------------------------------------------------------


def test_the_compressed_csv_comes_with_a_data_dictionary_of_its_statements(
    facility, owner, instrument
):
    nurses(facility)
    client = login(owner)
    download_id = ask(client, "zip")
    downloads.prepare(download_id)
    archive = zipfile.ZipFile(
        io.BytesIO(body_of(client.get(reverse("download-file", args=[download_id]))))
    )
    assert sorted(archive.namelist()) == ["answers.csv", "data_dictionary.csv"]
    assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())
    answers = list(csv.DictReader(io.StringIO(archive.read("answers.csv").decode())))
    dictionary = {
        row["item"]: row
        for row in csv.DictReader(io.StringIO(archive.read("data_dictionary.csv").decode()))
    }
    assert {row["item"] for row in answers} == {"LEGAL-1", "LEGAL-2"}
    every_item = Item.objects.filter(determinant__domain__instrument=instrument)
    assert set(dictionary) == set(every_item.values_list("code", flat=True))
    legal = every_item.get(code="LEGAL-1")
    entry = dictionary["LEGAL-1"]
    assert (entry["questionnaire_version"], entry["statement"], entry["determinant"]) == (
        instrument.version,
        legal.text,
        legal.determinant.name,
    )
    assert entry["values"].startswith("1 = Strongly disagree; 2 = Disagree")
    reversed_items = set(every_item.filter(reverse_scored=True).values_list("code", flat=True))
    assert {code for code, row in dictionary.items() if row["reverse_scored"] == "yes"} == (
        reversed_items
    )


def test_a_spreadsheet_too_large_for_excel_is_refused_with_the_csv_offered_instead(
    facility, owner, instrument, monkeypatch, downloads_dir
):
    nurses(facility)  # 8 answers
    monkeypatch.setattr(exports, "SPREADSHEET_ROWS", 8)  # 8 rows, the header included
    client = login(owner)
    download_id = ask(client, "xlsx")
    downloads.prepare(download_id)
    found = state(client, download_id)
    assert (found["status"], found["file_url"]) == ("failed", None)
    assert found["failure"] == (
        "This download has up to 8 answers and a spreadsheet holds at most 8 rows. "
        "Ask for the CSV or the compressed CSV instead."
    )
    assert files_in(downloads_dir) == []
    page = client.get(reverse("download-status", args=[download_id])).content.decode()
    assert text_of(page, "download-failure-text") == found["failure"]
    monkeypatch.setattr(exports, "SPREADSHEET_ROWS", 9)
    download_id = ask(client, "xlsx")
    downloads.prepare(download_id)
    assert state(client, download_id)["status"] == "ready"


# --- Never half-written ----------------------------------------------------------------


def test_a_download_failing_midway_is_reported_and_nothing_of_it_is_kept(
    facility, owner, instrument, monkeypatch, downloads_dir
):
    nurses(facility, count=6)
    answer_rows = exports.answer_rows

    def breaking(*args, **kwargs):
        for n, row in enumerate(answer_rows(*args, **kwargs)):
            if n == 5:
                raise OSError("disk full")
            yield row

    monkeypatch.setattr(exports, "answer_rows", breaking)
    client = login(owner)
    download_id = ask(client)
    downloads.prepare(download_id)
    assert files_in(downloads_dir) == []  # neither the partial file nor a final one
    found = state(client, download_id)
    assert (found["status"], found["file_url"]) == ("failed", None)
    assert found["failure"].startswith("Something went wrong while preparing this file.")
    fetch = client.get(reverse("download-file", args=[download_id]))
    assert (fetch.status_code, fetch.url) == (302, reverse("download-status", args=[download_id]))
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORTED).exists()


def test_a_download_whose_worker_stopped_is_reported_as_failed(
    facility, owner, instrument, downloads_dir
):
    nurses(facility)
    client = login(owner)
    download_id = ask(client)
    # the worker took it, wrote part of it, and was killed
    PreparedDownload.objects.filter(pk=download_id).update(status=Status.PREPARING, total=4, done=2)
    downloads_dir.mkdir(parents=True, exist_ok=True)
    (downloads_dir / f"{download_id}.part").write_text("round,respondent\n")
    page = client.get(reverse("download-status", args=[download_id])).content.decode()
    assert text_of(page, "download-status") == "Being prepared"
    assert text_of(page, "download-count") == "2 of 4 people"
    assert state(client, download_id)["count_label"] == "2 of 4 people"
    silent = timezone.now() - downloads.SILENT_FOR - timedelta(seconds=1)
    PreparedDownload.objects.filter(pk=download_id).update(updated_at=silent)
    found = state(client, download_id)
    assert (found["status"], found["file_url"]) == ("failed", None)
    assert found["failure"].startswith("Preparing this file stopped before it finished.")
    fetch = client.get(reverse("download-file", args=[download_id]))
    assert fetch.status_code == 302
    # asking again makes a new file rather than waiting for the dead one
    assert ask(client) != download_id
    call_command("purge_downloads", stdout=io.StringIO())
    assert f"{download_id}.part" not in files_in(downloads_dir)


# --- Who may fetch it ------------------------------------------------------------------


def test_only_the_facilitys_owners_can_reach_a_facilitys_download(
    facility, owner, viewer, outsider, instrument, network, leader
):
    nurses(facility)
    facility.network = network
    facility.save()
    other_owner = make_user("other-owner")
    Membership.objects.create(user=other_owner, facility=facility, level=Membership.Level.OWNER)
    download_id = ask(login(owner))
    downloads.prepare(download_id)
    names = ("download-status", "download-progress", "download-file")
    for user in (viewer, outsider, leader):
        for name in names:
            url = reverse(name, args=[download_id])
            assert login(user).get(url).status_code == 404, (user, name)
    for name in names:
        assert Client().get(reverse(name, args=[download_id])).status_code == 302  # sign in
    # any owner of the facility: the file holds the facility's own answers
    assert login(other_owner).get(reverse("download-file", args=[download_id])).status_code == 200
    # once no longer an owner, no longer
    Membership.objects.filter(user=other_owner).update(level=Membership.Level.VIEWER)
    assert login(other_owner).get(reverse("download-file", args=[download_id])).status_code == 404
    fetched_by = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORTED)
    assert list(fetched_by.values_list("username", flat=True)) == ["other-owner"]


def asked_by_network(facility, network, leader, *, count=4) -> tuple[Client, str]:
    """The facility in the network, allowing it its answers; the leader's client and a
    download of them the leader asked for, queued."""
    nurses(facility, count=count)
    facility.network = network
    facility.network_answer_access = True
    facility.save()
    client = login(leader)
    response = asked(client, reverse("network-answers-prepare", args=[network.slug]), "csv")
    return client, download_id_of(response)


def prepared_for_network(facility, network, leader) -> tuple[Client, str]:
    """As asked_by_network, the download prepared."""
    client, download_id = asked_by_network(facility, network, leader)
    downloads.prepare(download_id)
    return client, download_id


def test_a_networks_download_is_for_the_leader_who_asked_while_they_lead_it(
    facility, owner, instrument, network, leader
):
    from readiness.models import NetworkLeader

    client, download_id = prepared_for_network(facility, network, leader)
    colleague = make_user("colleague")
    NetworkLeader.objects.create(user=colleague, network=network)
    file_url = reverse("download-file", args=[download_id])
    for user in (colleague, owner):  # another leader; the site's own owner
        assert login(user).get(file_url).status_code == 404
    assert client.get(file_url).status_code == 200
    NetworkLeader.objects.filter(user=leader).delete()
    assert client.get(file_url).status_code == 404


def test_a_networks_file_is_not_given_once_a_site_in_it_left_the_network(
    facility, instrument, network, leader, downloads_dir
):
    client, download_id = prepared_for_network(facility, network, leader)
    facility.network = None
    facility.save()
    fetch = client.get(reverse("download-file", args=[download_id]))
    assert (fetch.status_code, fetch.url) == (302, reverse("download-status", args=[download_id]))
    assert files_in(downloads_dir) == []
    assert state(client, download_id)["failure"].startswith("A site withdrew its permission")


# --- Expiry --------------------------------------------------------------------------------


def test_an_expired_download_is_gone(facility, owner, instrument, downloads_dir, settings):
    nurses(facility)
    client = login(owner)
    kept, expiring = ask(client), ask(client, "xlsx")
    for download_id in (kept, expiring):
        downloads.prepare(download_id)
    assert files_in(downloads_dir) == sorted([f"{kept}.csv", f"{expiring}.xlsx"])
    download = PreparedDownload.objects.get(pk=kept)
    assert download.expires_at - download.created_at == timedelta(
        hours=settings.DOWNLOADS_KEPT_HOURS
    )
    PreparedDownload.objects.filter(pk=expiring).update(expires_at=timezone.now())
    response = client.get(reverse("download-file", args=[expiring]))
    assert response.status_code == 410
    assert text_of(response.content.decode(), "download-expired") == "This download has expired"
    assert files_in(downloads_dir) == [f"{kept}.csv"]
    assert not PreparedDownload.objects.filter(pk=expiring).exists()
    assert client.get(reverse("download-file", args=[expiring])).status_code == 404
    # and without anyone visiting: the hourly command
    PreparedDownload.objects.filter(pk=kept).update(expires_at=timezone.now())
    out = io.StringIO()
    call_command("purge_downloads", stdout=out)
    assert out.getvalue().strip() == "1 expired downloads deleted."
    assert files_in(downloads_dir) == []
    assert not PreparedDownload.objects.exists()


def test_the_status_page_says_the_preparer_may_not_be_running_when_nothing_starts(
    facility, owner, instrument
):
    nurses(facility)
    client = login(owner)
    download_id = ask(client)
    url = reverse("download-status", args=[download_id])
    assert text_of(client.get(url).content.decode(), "download-waiting") == ""
    long_ago = timezone.now() - downloads.WAITING_LONG - timedelta(seconds=1)
    PreparedDownload.objects.filter(pk=download_id).update(created_at=long_ago)
    assert text_of(client.get(url).content.decode(), "download-waiting").startswith(
        "This has not started yet: the preparer may be busy with other files, or not running."
    )


def test_the_list_of_downloads_shows_the_persons_own(facility, owner, instrument, viewer):
    nurses(facility)
    download_id = ask(login(owner), "json")
    downloads.prepare(download_id)
    page = login(owner).get(reverse("download-list")).content.decode()
    rows = table(page, "downloads")
    assert list(rows) == ["Of", "Mercy Clinic"]
    assert (rows["Mercy Clinic"][1], rows["Mercy Clinic"][3]) == ("JSON", "Ready")
    page = login(viewer).get(reverse("download-list")).content.decode()
    assert text_of(page, "no-downloads") == "None at the moment."
    data = json.loads(body_of(login(owner).get(reverse("download-file", args=[download_id]))))
    assert len(data["respondents"]) == 4


# --- Never given after it may not be ------------------------------------------------------


def test_a_revoke_while_the_file_is_written_leaves_no_file(
    facility, owner, instrument, network, leader, monkeypatch, downloads_dir
):
    from readiness.services.access import set_network_answer_access

    client, download_id = asked_by_network(facility, network, leader, count=6)
    answer_rows = exports.answer_rows

    def revoked_midway(*args, **kwargs):
        for n, row in enumerate(answer_rows(*args, **kwargs)):
            if n == 3:
                set_network_answer_access(facility=facility, allowed=False, by=owner)
            yield row

    monkeypatch.setattr(exports, "answer_rows", revoked_midway)
    downloads.prepare(download_id)
    assert files_in(downloads_dir) == []
    found = state(client, download_id)
    assert (found["status"], found["file_url"]) == ("failed", None)
    assert found["failure"].startswith("A site withdrew its permission")
    # and one revoked before the worker took it is never written
    set_network_answer_access(facility=facility, allowed=True, by=owner)
    response = asked(client, reverse("network-answers-prepare", args=[network.slug]), "csv")
    queued = download_id_of(response)
    set_network_answer_access(facility=facility, allowed=False, by=owner)
    downloads.prepare(queued)
    assert files_in(downloads_dir) == []
    assert state(client, queued)["status"] == "failed"


def test_deleting_a_round_or_raising_the_smallest_group_deletes_the_files_prepared_before(
    facility, owner, instrument, downloads_dir
):
    from readiness.services.access import set_min_group
    from readiness.services.facilities import delete_round

    spring = nurses(facility)
    client = login(owner)
    download_id = ask(client)
    downloads.prepare(download_id)
    delete_round(round_=spring, by=owner)
    assert files_in(downloads_dir) == []
    assert state(client, download_id)["failure"].startswith(
        "The facility's owners deleted answers or raised the smallest group shown"
    )
    nurses(facility, label="Autumn")
    download_id = ask(client)
    downloads.prepare(download_id)
    set_min_group(facility=facility, min_group=3, by=owner)  # (unchanged: kept)
    assert files_in(downloads_dir) == [f"{download_id}.csv"]
    set_min_group(facility=facility, min_group=4, by=owner)
    assert files_in(downloads_dir) == []


def test_preparing_twice_writes_once(facility, owner, instrument, downloads_dir, monkeypatch):
    nurses(facility)
    download_id = ask(login(owner))
    downloads.prepare(download_id)
    written = (downloads_dir / f"{download_id}.csv").read_bytes()
    monkeypatch.setattr(exports, "answer_rows", lambda *a, **k: iter([["changed"]]))
    downloads.prepare(download_id)  # the task run again: nothing to take
    assert (downloads_dir / f"{download_id}.csv").read_bytes() == written


def test_a_spreadsheet_that_grows_past_the_limit_while_written_is_refused(
    facility, owner, instrument, monkeypatch, downloads_dir
):
    """People still answering can add rows after the count: the rows are counted again
    as they are written."""
    nurses(facility)  # 8 answers
    monkeypatch.setattr(exports, "SPREADSHEET_ROWS", 6)
    monkeypatch.setattr(
        downloads.preparing, "_answers_at_most", lambda download: 2
    )  # counted earlier
    client = login(owner)
    download_id = ask(client, "xlsx")
    downloads.prepare(download_id)
    found = state(client, download_id)
    assert found["status"] == "failed"
    assert found["failure"].startswith("This download has up to 6 answers")
    assert files_in(downloads_dir) == []


# --- Where files live ------------------------------------------------------------------


def test_files_are_readable_by_the_servers_user_only_and_sent_as_they_are(
    facility, owner, instrument, downloads_dir
):
    nurses(facility)
    client = login(owner)
    download_id = ask(client)
    downloads.prepare(download_id)
    assert downloads_dir.stat().st_mode & 0o777 == 0o700
    path = downloads_dir / f"{download_id}.csv"
    assert path.stat().st_mode & 0o777 == 0o600
    # (the temporary folder openpyxl and the others wrote in is gone)
    assert files_in(downloads_dir) == [path.name]
    response = client.get(reverse("download-file", args=[download_id]), HTTP_ACCEPT_ENCODING="gzip")
    assert not response.has_header("Content-Encoding")  # pages are compressed, files not
    assert int(response["Content-Length"]) == path.stat().st_size


def test_files_go_with_their_download_and_strays_are_swept(
    facility, owner, instrument, downloads_dir
):
    import os
    import uuid

    nurses(facility)
    download_id = ask(login(owner))
    downloads.prepare(download_id)
    # a worker killed between writing and saying so leaves a file no download names
    stray, fresh = downloads_dir / f"{uuid.uuid4()}.csv", downloads_dir / f"{uuid.uuid4()}.part"
    stray.write_text("round\n")
    fresh.write_text("round\n")  # (still being written, perhaps)
    an_hour_ago = timezone.now().timestamp() - 3600
    os.utime(stray, (an_hour_ago, an_hour_ago))
    call_command("purge_downloads", stdout=io.StringIO())
    assert files_in(downloads_dir) == sorted([f"{download_id}.csv", fresh.name])
    # the facility removed for good takes its downloads' files with it
    facility.delete()
    assert not PreparedDownload.objects.exists()
    assert files_in(downloads_dir) == [fresh.name]


def test_the_progress_of_an_expired_download_says_so(facility, owner, instrument):
    nurses(facility)
    client = login(owner)
    download_id = ask(client)
    PreparedDownload.objects.filter(pk=download_id).update(expires_at=timezone.now())
    assert state(client, download_id) == {
        "http": 410,
        "status": "expired",
        "status_label": "This download has expired. Ask for it again.",
        "failure": "This download has expired. Ask for it again.",
    }
    assert not PreparedDownload.objects.exists()


def test_each_leader_gets_a_form_with_their_own_token_on_the_kept_network_page(
    facility, instrument, network, leader
):
    """The network page's body is kept for all its leaders; the forms asking for
    downloads are not: each carries its reader's CSRF token."""
    import re

    from readiness.models import NetworkLeader

    nurses(facility)
    facility.network = network
    facility.network_answer_access = True
    facility.save()
    colleague = make_user("colleague")
    NetworkLeader.objects.create(user=colleague, network=network)
    for user in (leader, colleague):  # the first makes the kept body, the second reads it
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        page = client.get(network.get_absolute_url()).content.decode()
        form = re.search(r'<form[^>]*id="download-answers".*?</form>', page, re.S).group(0)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        url = reverse("network-answers-prepare", args=[network.slug])
        response = client.post(url, {"format": "csv", "csrfmiddlewaretoken": token})
        assert response.status_code == 302 and "/downloads/" in response.url
        report = re.search(r'<form[^>]*id="report-form".*?</form>', page, re.S).group(0)
        assert 'name="csrfmiddlewaretoken"' in report
    assert PreparedDownload.objects.filter(requested_by=colleague).count() == 1


def test_deleting_the_facility_deletes_its_files_and_its_networks_files_that_hold_it(
    facility, owner, instrument, network, leader, downloads_dir
):
    from readiness.services.facilities import delete_facility

    prepared_for_network(facility, network, leader)
    own = ask(login(owner))
    downloads.prepare(own)
    assert len(files_in(downloads_dir)) == 2
    delete_facility(facility=facility, by=owner)  # (restorable: its files go at once)
    assert files_in(downloads_dir) == []
    for download in PreparedDownload.objects.all():
        assert download.status == Status.FAILED
        assert download.failure.startswith("The facility's owners deleted answers")


def test_a_rounds_report_is_not_made_for_someone_who_may_no_longer_read_the_round(
    facility, instrument, viewer, downloads_dir
):
    closed_round = nurses(facility)
    client = login(viewer)
    url = reverse("round-report-prepare", args=[closed_round.facility.slug, closed_round.pk])
    download_id = download_id_of(asked(client, url, "pdf"))
    Membership.objects.filter(user=viewer).delete()
    downloads.prepare(download_id)
    assert files_in(downloads_dir) == []
    download = PreparedDownload.objects.get(pk=download_id)
    assert (download.status, download.failure) == (
        Status.FAILED,
        "You may no longer read this round's results.",
    )


def test_where_downloads_are_kept_is_taken_from_the_project_folder_when_relative():
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    shown = subprocess.run(
        [sys.executable, "-c", "import readiness.settings as s; print(s.DOWNLOADS_DIR)"],
        cwd="/",
        env={**os.environ, "DOWNLOADS_DIR": "spool/files", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == str(ROOT / "spool" / "files")


def test_the_download_pages_read_a_fixed_number_of_rows(
    facility, owner, instrument, django_assert_num_queries
):
    nurses(facility)
    client = login(owner)
    first = ask(client)
    downloads.prepare(first)
    # every signed-in page: the session, the person, their second factor
    signed_in = 3
    # + the download (with its facility, network and round), + the owner's membership
    with django_assert_num_queries(signed_in + 2):
        client.get(reverse("download-status", args=[first]))
    with django_assert_num_queries(signed_in + 2):
        client.get(reverse("download-progress", args=[first]))
    # + the facilities in the file, + one audit event for each (one insert)
    with django_assert_num_queries(signed_in + 4):
        body_of(client.get(reverse("download-file", args=[first])))
    # the person's downloads still kept: one query, however many
    with django_assert_num_queries(signed_in + 1):
        page = client.get(reverse("download-list")).content.decode()
    assert list(table(page, "downloads")) == ["Of", "Mercy Clinic"]
    for fmt in ("xlsx", "zip", "json"):
        downloads.prepare(ask(client, fmt))
    with django_assert_num_queries(signed_in + 1):
        page = client.get(reverse("download-list")).content.decode()
    body = re.search(r'<table[^>]*id="downloads".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    assert len(re.findall(r"<tr>", body)) == 4
