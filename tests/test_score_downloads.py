"""A facility's scores by round (CSV and XLSX): the dashboards' facility-level figures,
every one from readiness/disclosure/, for whoever may read the facility's results, each
download in the facility's audit log, in a number of queries that does not grow with
the number of rounds."""

import codecs
import csv
import io
from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from readiness import disclosure, exports, scoring
from readiness.models import AuditEvent, Band, Facility, Membership, Round, Share
from readiness.scoring import RoundSummary
from tests.clients import Client, login
from tests.conftest import full_answers, import_rows, make_partner, make_user
from tests.downloads import audit_downloads
from tests.pages import text_of
from tests.respondents import respond

HEADER = [
    "Round",
    "Opened on",
    "Closed on",
    "Status",
    "Questionnaire version",
    "Level",
    "Domain code",
    "Code",
    "Name",
    "Score (0 to 100)",
    "Band",
    "Band code",
    "People in the results",
    "Hidden because",
]
# The instrument's (fixtures/instrument.json) domains, each with its determinants.
DOMAINS = {
    "INTERVENTION": ["LEGAL"],
    "OUTER": ["POLICY", "COMMUNITY"],
    "INNER": ["COMMS", "PARTNERS", "MISSION", "INFRA"],
    "INDIVIDUALS": ["CHAMPIONS", "WORKFORCE"],
    "PROCESS": ["EVAL"],
}
# One row for the overall score, one per domain, one per determinant.
ROWS_PER_ROUND = 1 + len(DOMAINS) + sum(len(codes) for codes in DOMAINS.values())
FEWER_THAN_3 = "fewer than 3 people have a score"


def url(fmt: str, slug: str = "mercy") -> str:
    return reverse(f"facility-scores-{fmt}", args=[slug])


def body(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_table(client, slug="mercy") -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(client.get(url("csv", slug))).decode())))


def csv_rows(client, slug="mercy") -> list[dict]:
    header, *rows = csv_table(client, slug)
    assert header == HEADER
    return [dict(zip(header, row, strict=True)) for row in rows]


def xlsx_table(client, slug="mercy") -> list[tuple]:
    """The sheet's rows, each as wide as the header (a read-only sheet drops the empty
    cells that end a row)."""
    sheet = load_workbook(io.BytesIO(body(client.get(url("xlsx", slug)))), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    return [row + (None,) * (len(HEADER) - len(row)) for row in rows]


def as_csv_text(cell) -> str:
    """A spreadsheet cell as the CSV writes it."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    return str(cell)


def nurses(instrument, count: int, *, prefix="p", unknown=(), dk_people=0) -> list:
    """Rows of ``count`` nurses answering every statement; the first ``dk_people`` of them
    answer "don't know" to every statement of the determinants in ``unknown``."""
    rows = []
    for n in range(count):

        def value_for(item, n=n):
            if n < dk_people and item.determinant.code in unknown:
                return "DK"
            return str(1 + (n + item.pk) % 5)

        rows += full_answers(instrument, f"{prefix}{n}", "nurse", value_for)
    return rows


def a_round(facility, label, rows, *, opened_on, closed_on=None):
    round_ = import_rows(facility, label, rows).round
    status = Round.Status.CLOSED if closed_on else Round.Status.OPEN
    Round.objects.filter(pk=round_.pk).update(
        opened_on=opened_on, closed_on=closed_on, status=status
    )
    round_.refresh_from_db()
    return round_


def by_round(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["Round"], []).append(row)
    return grouped


def expected_rows(round_) -> list[dict]:
    """What the round's dashboard shows (disclosure.released_scores), through
    scoring.shown, in the file's columns."""
    scores = disclosure.released_scores(round_, scope=disclosure.Scope.everything())

    def as_row(level, domain, code, name, score, hidden):
        number = scoring.shown(score)
        band = scoring.band_for(score)
        return {
            "Round": round_.label,
            "Opened on": round_.opened_on.isoformat(),
            "Closed on": round_.closed_on.isoformat() if round_.closed_on else "",
            "Status": str(round_.get_status_display()),
            "Questionnaire version": round_.instrument.version,
            "Level": level,
            "Domain code": domain,
            "Code": code,
            "Name": name,
            "Score (0 to 100)": "" if number is None else str(number),
            "Band": str(Band(band).label),
            "Band code": band,
            "People in the results": str(scores.respondents),
            "Hidden because": hidden,
        }

    rows = [as_row("overall", "", "", "Overall readiness", scores.overall, "")]
    for domain in scores.domains:
        hidden = domain.score is None and any(d.hidden for d in domain.determinants)
        reason = f"every determinant in it is hidden: {FEWER_THAN_3}" if hidden else ""
        rows.append(as_row("domain", domain.code, domain.code, domain.name, domain.score, reason))
        for d in domain.determinants:
            reason = FEWER_THAN_3 if d.hidden else ""
            rows.append(
                as_row("determinant", domain.code, d.code, d.determinant.name, d.score, reason)
            )
    return rows


# --- What the file holds ------------------------------------------------------------------


def test_the_file_holds_what_each_rounds_dashboard_shows(facility, owner, instrument):
    """Two rounds, newest first; in each the figures the dashboard shows, through the
    same rounding; a latecomer (finished, not published) counts nowhere."""
    spring = a_round(
        facility,
        "Spring",
        nurses(instrument, 4, unknown={"LEGAL", "POLICY"}, dk_people=2),
        opened_on=date(2026, 3, 2),
        closed_on=date(2026, 4, 15),
    )
    fall = a_round(facility, "Fall", nurses(instrument, 5, prefix="f"), opened_on=date(2026, 9, 1))
    respond(fall, "legal", "5")  # a latecomer: finished, not published
    rows = csv_rows(login(owner))
    assert list(by_round(rows)) == ["Fall", "Spring"]  # newest first
    assert by_round(rows) == {"Fall": expected_rows(fall), "Spring": expected_rows(spring)}
    # one row per level and code: overall, each domain, each determinant
    expected_codes = [("overall", "")]
    for domain, determinants in DOMAINS.items():
        expected_codes += [("domain", domain)] + [("determinant", d) for d in determinants]
    for round_rows in by_round(rows).values():
        assert [(row["Level"], row["Code"]) for row in round_rows] == expected_codes
    fall_rows, spring_rows = by_round(rows)["Fall"], by_round(rows)["Spring"]
    assert {row["People in the results"] for row in fall_rows} == {"5"}
    assert {(row["Status"], row["Closed on"]) for row in fall_rows} == {("Open", "")}
    assert {(row["Status"], row["Opened on"], row["Closed on"]) for row in spring_rows} == {
        ("Closed", "2026-03-02", "2026-04-15")
    }
    assert {row["Questionnaire version"] for row in rows} == {"2026.1"}
    # every shown figure is a whole number
    assert all(row["Score (0 to 100)"].isdigit() for row in fall_rows)


def test_a_determinant_hidden_by_the_minimum_group_is_blank_with_its_reason(
    facility, owner, instrument
):
    """Two of four nurses answered "don't know" to everything about LEGAL and POLICY:
    2 people have a score for them, fewer than 3. Both are blank, with the reason; the
    domain of LEGAL alone is hidden with it, and POLICY's domain is its other
    determinant's score only, as on the dashboard."""
    round_ = a_round(
        facility,
        "Spring",
        nurses(instrument, 4, unknown={"LEGAL", "POLICY"}, dk_people=2),
        opened_on=date(2026, 3, 2),
    )
    rows = {(row["Level"], row["Code"]): row for row in csv_rows(login(owner))}
    for code in ("LEGAL", "POLICY"):
        row = rows[("determinant", code)]
        assert row["Score (0 to 100)"] == ""
        assert row["Hidden because"] == FEWER_THAN_3
        assert (row["Band"], row["Band code"]) == ("Insufficient data", "insufficient")
    legal_domain = rows[("domain", "INTERVENTION")]
    assert legal_domain["Score (0 to 100)"] == ""
    assert legal_domain["Hidden because"] == f"every determinant in it is hidden: {FEWER_THAN_3}"
    assert (
        rows[("domain", "OUTER")]["Score (0 to 100)"]
        == rows[("determinant", "COMMUNITY")]["Score (0 to 100)"]
    )
    assert rows[("domain", "OUTER")]["Hidden because"] == ""
    shown = [row for row in rows.values() if row["Code"] not in ("LEGAL", "POLICY", "INTERVENTION")]
    assert all(row["Score (0 to 100)"] and row["Hidden because"] == "" for row in shown)
    released = {
        d.code: d
        for d in disclosure.released_scores(
            round_, scope=disclosure.Scope.everything()
        ).determinants
    }
    assert released["LEGAL"].hidden and released["POLICY"].hidden


def test_the_minimum_is_the_facilitys(facility, owner, instrument):
    """Owners raised their minimum to 4: a determinant 3 people have a score for is
    hidden now, and the reason says 4."""
    a_round(
        facility,
        "Spring",
        nurses(instrument, 5, unknown={"EVAL"}, dk_people=2),
        opened_on=date(2026, 3, 2),
    )
    eval_row = next(row for row in csv_rows(login(owner)) if row["Code"] == "EVAL")
    assert eval_row["Score (0 to 100)"] != ""  # 3 people have a score: shown under 3
    Facility.objects.filter(pk=facility.pk).update(min_group=4)
    eval_row = next(row for row in csv_rows(login(owner)) if row["Code"] == "EVAL")
    assert eval_row["Score (0 to 100)"] == ""
    assert eval_row["Hidden because"] == "fewer than 4 people have a score"


def test_rounds_showing_nothing_are_left_out(facility, owner, instrument):
    """Two people finished: nothing is shown on the dashboard, nothing is in the file."""
    a_round(facility, "Small", nurses(instrument, 2), opened_on=date(2026, 3, 2))
    assert csv_table(login(owner)) == [HEADER]
    assert xlsx_table(login(owner)) == [tuple(HEADER)]


def test_bands_are_those_of_the_number_shown(open_round_, instrument):
    """The row builder on a constructed summary: 74.5 is shown as 75 and is a strength
    (Python's round() would give 74), 49.5 as 50 and developing, 74.4 as 74."""
    summary = RoundSummary(
        round_id=open_round_.pk,
        label=open_round_.label,
        opened_on=open_round_.opened_on,
        instrument_version=instrument.version,
        respondents=7,
        determinants={"LEGAL": 74.5, "POLICY": 49.5, "COMMUNITY": 74.4},
        domains={"INTERVENTION": 74.5, "OUTER": 61.95},
    )
    assert summary.overall == pytest.approx(68.225)
    rows = exports.score_rows(open_round_, summary, minimum=3)
    assert len(rows[0]) == len(HEADER)
    found = {(row[5], row[7]): row for row in rows}
    score, code, people, hidden = 9, 11, 12, 13
    assert found[("determinant", "LEGAL")][score : hidden + 1] == [
        75,
        "Strength",
        "strength",
        7,
        None,
    ]
    assert found[("domain", "INTERVENTION")][score : code + 1] == [75, "Strength", "strength"]
    assert found[("determinant", "POLICY")][score : code + 1] == [50, "Developing", "developing"]
    assert found[("determinant", "COMMUNITY")][score : code + 1] == [74, "Developing", "developing"]
    assert found[("domain", "OUTER")][score : code + 1] == [62, "Developing", "developing"]
    assert found[("overall", None)][score : code + 1] == [68, "Developing", "developing"]
    # determinants the summary leaves out were hidden; their domains too, when all were
    assert found[("determinant", "COMMS")][score : hidden + 1] == [
        None,
        "Insufficient data",
        "insufficient",
        7,
        FEWER_THAN_3,
    ]
    assert found[("domain", "INNER")][score] is None
    assert (
        found[("domain", "INNER")][hidden] == f"every determinant in it is hidden: {FEWER_THAN_3}"
    )
    assert {row[people] for row in rows} == {7}


def test_xlsx_has_the_same_rows_as_the_csv(facility, owner, instrument):
    a_round(
        facility,
        "Spring",
        nurses(instrument, 4, unknown={"POLICY"}, dk_people=2),
        opened_on=date(2026, 3, 2),
        closed_on=date(2026, 4, 15),
    )
    a_round(facility, "Fall", nurses(instrument, 3, prefix="f"), opened_on=date(2026, 9, 1))
    client = login(owner)
    table = csv_table(client)
    workbook = xlsx_table(client)
    assert len(table) == 1 + 2 * ROWS_PER_ROUND
    assert [[as_csv_text(cell) for cell in row] for row in workbook] == table
    # figures are numbers and dates are dates in the spreadsheet
    first = workbook[1]
    assert isinstance(first[9], int) and isinstance(first[12], int)
    assert isinstance(first[1], datetime)


def test_text_a_spreadsheet_would_run_is_neutralised_and_there_is_no_bom(
    facility, owner, instrument
):
    a_round(facility, "=HYPERLINK(1)", nurses(instrument, 3), opened_on=date(2026, 3, 2))
    client = login(owner)
    content = body(client.get(url("csv")))
    assert not content.startswith(codecs.BOM_UTF8)  # as the answer downloads
    assert {row["Round"] for row in csv_rows(client)} == {"'=HYPERLINK(1)"}
    assert {row[0] for row in xlsx_table(client)[1:]} == {"'=HYPERLINK(1)"}
    response = client.get(url("xlsx"))
    assert response["Content-Type"] == exports.XLSX_TYPE
    assert response["Content-Disposition"].startswith('attachment; filename="mercy-scores-')


# --- Who may download -----------------------------------------------------------------------


def test_whoever_reads_the_results_may_download_them(
    facility, owner, viewer, instrument, network, leader, other_facility, outsider
):
    """Members of every level and network leaders read the whole facility; a partner
    reads the rounds its share names, whatever else the share leaves out (the file holds
    no results by role), and the same rows as the members; a partner whose share was
    revoked, one that reads another facility, and outsiders get 404 (the facility's
    existence is not revealed); anonymous visitors are sent to sign in."""
    earlier = a_round(facility, "Earlier", nurses(instrument, 3), opened_on=date(2026, 1, 5))
    chosen = a_round(
        facility, "Chosen", nurses(instrument, 4, prefix="c"), opened_on=date(2026, 6, 1)
    )
    Facility.objects.filter(pk=facility.pk).update(network=network)
    editor = make_user("editor")
    Membership.objects.create(user=editor, facility=facility, level=Membership.Level.EDITOR)
    _, wide = make_partner(facility, by=owner, slug="wide", roles=False, strategies=False)
    _, narrow = make_partner(
        facility, by=owner, slug="narrow", roles=False, strategies=False, rounds=[chosen]
    )
    _, elsewhere = make_partner(other_facility, by=outsider, slug="elsewhere")
    _, revoked = make_partner(facility, by=owner, slug="revoked")
    Share.objects.filter(partner__slug="revoked").update(revoked_at=timezone.now())
    members_rows = csv_rows(login(owner))
    assert {row["Round"] for row in members_rows} == {earlier.label, chosen.label}
    for user in (editor, viewer, leader, wide):
        assert csv_rows(login(user)) == members_rows, user.username
        assert [row[0] for row in xlsx_table(login(user))[1:]] == [
            row["Round"] for row in members_rows
        ]
    assert csv_rows(login(narrow)) == [row for row in members_rows if row["Round"] == "Chosen"]
    assert {row[0] for row in xlsx_table(login(narrow))[1:]} == {"Chosen"}
    for user in (elsewhere, revoked, outsider):
        for fmt in ("csv", "xlsx"):
            assert login(user).get(url(fmt)).status_code == 404, user.username
    for fmt in ("csv", "xlsx"):
        response = Client().get(url(fmt))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    # refused requests are not downloads: only those who got a file are in the log
    downloaders = set(
        AuditEvent.objects.filter(action=AuditEvent.Action.EXPORTED).values_list(
            "username", flat=True
        )
    )
    assert downloaders == {"owner", "editor", "viewer", "leader", wide.username, narrow.username}


def test_every_download_is_in_the_facilitys_audit_log(facility, owner, viewer, instrument):
    a_round(facility, "Spring", nurses(instrument, 3), opened_on=date(2026, 3, 2))
    _partner, partner_user = make_partner(facility, by=owner, roles=False, strategies=False)
    for user in (viewer, partner_user):
        for fmt in ("csv", "xlsx"):
            body(login(user).get(url(fmt)))
    events = AuditEvent.objects.filter(facility=facility, action=AuditEvent.Action.EXPORTED)
    assert sorted((e.username, e.detail["download"], e.detail["format"]) for e in events) == [
        (partner_user.username, "scores", "csv"),
        (partner_user.username, "scores", "xlsx"),
        ("viewer", "scores", "csv"),
        ("viewer", "scores", "xlsx"),
    ]
    # and the owners read them on their audit page, like every other download
    shown = audit_downloads(login(owner), "mercy")
    assert sorted((who, detail["download"], detail["format"]) for who, detail in shown) == [
        (partner_user.username, "scores", "csv"),
        (partner_user.username, "scores", "xlsx"),
        ("viewer", "scores", "csv"),
        ("viewer", "scores", "xlsx"),
    ]
    assert all(set(detail) == {"download", "format"} for _who, detail in shown)


# --- Queries ----------------------------------------------------------------------------------


def test_the_number_of_queries_does_not_grow_with_the_number_of_rounds(
    facility, owner, instrument, django_assert_num_queries
):
    """The same queries for one round as for five (one with a hidden determinant, one
    showing nothing), in either format, for a member and for a partner."""
    from readiness.pages import instrument_structure

    a_round(facility, "R0", nurses(instrument, 3), opened_on=date(2025, 1, 6))
    _, partner_user = make_partner(facility, by=owner, roles=False, strategies=False)
    instrument_structure(instrument)  # read once per process, not per download

    clients = {owner: login(owner), partner_user: login(partner_user)}

    def download(user, fmt) -> int:
        with CaptureQueriesContext(connection) as queries:
            content = body(clients[user].get(url(fmt)))
        assert content
        return len(queries)

    # 1 session, 2 the user, 3 the second step's device (middleware), 4 the membership
    # with its facility (facility_access), 5 the rounds with their questionnaire
    # (exports.score_table), 6 the rounds with their published results
    # (disclosure.released_summaries), 7 the audit event.
    client = clients[owner]
    with django_assert_num_queries(7):
        assert len(csv_table(client)) == 1 + ROWS_PER_ROUND
    one = {
        (user, fmt): download(user, fmt)
        for user in (owner, partner_user)
        for fmt in ("csv", "xlsx")
    }
    a_round(
        facility,
        "R1",
        nurses(instrument, 4, prefix="a", unknown={"POLICY"}, dk_people=2),
        opened_on=date(2025, 6, 2),
        closed_on=date(2025, 7, 1),
    )
    a_round(facility, "R2", nurses(instrument, 5, prefix="b"), opened_on=date(2026, 1, 5))
    a_round(facility, "R3", nurses(instrument, 3, prefix="c"), opened_on=date(2026, 6, 1))
    a_round(facility, "Small", nurses(instrument, 2, prefix="d"), opened_on=date(2026, 9, 1))
    with django_assert_num_queries(7):
        assert len(csv_table(client)) == 1 + 4 * ROWS_PER_ROUND
    several = {key: download(*key) for key in one}
    assert several == one
    # a partner: after the second step's device, 4 a membership (none), 5 a network
    # leadership (none), 6 the share, then the rounds, their published results and the
    # audit event, as for a member
    assert one[(partner_user, "csv")] == 9


# --- The facility page ----------------------------------------------------------------------


def test_the_facility_page_links_both_files_for_everyone_who_may_download_them(
    facility, owner, viewer, instrument
):
    _partner, partner_user = make_partner(facility, by=owner, roles=False, strategies=False)
    for user in (owner, viewer, partner_user):
        html = login(user).get(facility.get_absolute_url()).content.decode()
        assert "Scores by round (CSV)" in text_of(html, "download-scores")
        assert "Scores by round (XLSX)" in text_of(html, "download-scores")
        assert f'href="{url("csv")}"' in html and f'href="{url("xlsx")}"' in html
