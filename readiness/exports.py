"""Downloads: a facility's answers (JSON, CSV, XLSX), a network's answers and its
comparison table. Rows are generated as they are written and XLSX is written row by row,
so a network's millions of answers never sit in memory at once; answer-level files are
written by the task worker (services/downloads.py).

Answer-level data follows rule 4 of readiness.disclosure: fresh random respondent ids in every
download (never database or import ids), respondents in a random order, only the people
in the published results unless asked for everyone, small roles merged
(disclosure.answer_level_role), and the round's dates instead of each respondent's."""

import contextlib
import csv
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from readiness import disclosure
from readiness.models import Answer, Facility, Respondent, Round, RoundRelease

CSV_COLUMNS = [
    "round",
    "respondent",
    "role",
    "status",
    "opened_on",
    "closed_on",
    "item",
    "value",
]
# Respondents whose answers one query reads: the file follows a random order of
# respondents, so their answers are read a bounded batch of respondents at a time.
RESPONDENTS_PER_QUERY = 500
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value):
        return value


@dataclass(frozen=True)
class Shown:
    """One respondent as an answer-level download shows them."""

    pk: int  # to read their answers; never written out
    facility: str  # slug
    round: str  # label
    opened_on: date
    closed_on: date | None
    id: str  # fresh and random in every download
    role: str  # a role code, or disclosure.SMALL_ROLES
    status: str


def _fresh_id(taken: set[str]) -> str:
    """A random id not yet used in this file. The letter in front keeps spreadsheets from
    reading an id such as 12345e67 as a number and showing two ids the same."""
    while True:
        candidate = "r" + secrets.token_hex(4)
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def shown_respondents(facilities, *, include_unfinished: bool = False) -> list[Shown]:
    """The respondents of these facilities an answer-level download shows, in two queries:
    rounds by facility and date, respondents in a fresh random order within each round,
    each with a fresh random id and their role, or "small roles" (rule 4 of readiness.disclosure).

    Import ids are left out as well as database ids: they are whatever the facility typed,
    possibly a name or a staff number, and the random id serves the same purpose."""
    rounds = {
        r.pk: _with_published_roles(r)
        for r in Round.objects.filter(facility__in=facilities)
        .select_related("facility", "release")
        # a release's figures and sums are large (a network's rounds held 140 MB of them
        # at once): what a download reads of them is how many people of each role
        .defer("release__summary", "release__aggregates")
        .annotate(published_roles=F("release__aggregates__roles"))
        .order_by("facility__name", "facility_id", "opened_on", "pk")
    }
    people = Respondent.objects.filter(round__facility__in=facilities)
    if not include_unfinished:
        # Only people in the published results, so that rows, like the results, appear
        # only in steps of the minimum group: a download before and after one colleague
        # finishes shows no new row (rule 3 of readiness.disclosure).
        people = people.filter(published=True)
    # (respondents of a round opened between the two queries are left out)
    people = [
        person
        for person in people.values_list("pk", "round_id", "role__code", "status", "published")
        if person[1] in rounds
    ]
    secrets.SystemRandom().shuffle(people)
    if include_unfinished:
        people = _without_lone_small_roles(people, rounds)
    position = {round_id: n for n, round_id in enumerate(rounds)}
    people.sort(key=lambda person: position[person[1]])  # stable: random within a round
    taken: set[str] = set()
    shown = []
    for pk, round_id, role, status, _published in people:
        round_ = rounds[round_id]
        shown.append(
            Shown(
                pk=pk,
                facility=round_.facility.slug,
                round=round_.label,
                opened_on=round_.opened_on,
                closed_on=round_.closed_on,
                id=_fresh_id(taken),
                role=disclosure.answer_level_role(
                    role, _release(round_), disclosure.min_group(round_.facility)
                ),
                status=status,
            )
        )
    return shown


def _with_published_roles(round_: Round) -> Round:
    """The round, its release carrying only what disclosure.answer_level_role reads."""
    try:
        round_.release.aggregates = {"roles": round_.published_roles or {}}
    except RoundRelease.DoesNotExist:  # (made when first needed: _release)
        pass
    return round_


def _without_lone_small_roles(people: list, rounds: dict) -> list:
    """With everyone included, the people not yet published whose rows would make "small
    roles" a group of fewer than the minimum are left out: one guard who finished after
    the last update would be a group of one. (Merging a named role instead would undo
    what another download names.) They appear once they are published."""
    small: dict[int, list] = {}
    for person in people:
        round_ = rounds[person[1]]
        role = disclosure.answer_level_role(
            person[2], _release(round_), disclosure.min_group(round_.facility)
        )
        if role == disclosure.SMALL_ROLES:
            small.setdefault(person[1], []).append(person)
    left_out = set()
    for round_id, group in small.items():
        if len(group) < disclosure.min_group(rounds[round_id].facility):
            left_out |= {person[0] for person in group if not person[4]}
    return [person for person in people if person[0] not in left_out]


def _release(round_: Round):
    try:
        return round_.release
    except RoundRelease.DoesNotExist:  # a round from before releases existed, once
        round_.release = disclosure.release_for(round_)  # (kept for its other respondents)
        return round_.release


def _value(kind, value) -> str:
    return {"dk": "DK", "na": "NA"}.get(kind, str(value))


def _answered(people: list[Shown], progress=None) -> Iterator[tuple[Shown, list[tuple[str, str]]]]:
    """Each respondent with their answers (item code, value) in questionnaire order, one
    query per RESPONDENTS_PER_QUERY respondents; ``progress(n)``, when given, is told
    how many respondents are done before each further batch is read.

    Statements asked of some roles only are left out of the rows of "small roles": which
    of them a person answered would tell their role."""
    for start in range(0, len(people), RESPONDENTS_PER_QUERY):
        if progress is not None:
            progress(start)
        batch = people[start : start + RESPONDENTS_PER_QUERY]
        merged = {person.pk for person in batch if person.role == disclosure.SMALL_ROLES}
        answers: dict[int, list[tuple[str, str]]] = {}
        for respondent_id, item, kind, value, asked_of in (
            Answer.objects.filter(respondent_id__in=[person.pk for person in batch])
            .order_by(
                "respondent_id",
                "item__determinant__domain__position",
                "item__determinant__position",
                "item__position",
            )
            .values_list("respondent_id", "item__code", "kind", "value", "item__asked_of")
        ):
            if asked_of and respondent_id in merged:
                continue
            answers.setdefault(respondent_id, []).append((item, _value(kind, value)))
        for person in batch:
            yield person, answers.get(person.pk, [])


def answer_rows(people: list[Shown], *, with_facility: bool, progress=None) -> Iterator[list]:
    """The answers of these respondents (shown_respondents) as rows, header first, one per
    answer, for CSV or XLSX under rule 4 of readiness.disclosure (csv_stream and write_xlsx
    neutralise formulas); ``progress`` as for _answered."""
    yield (["facility"] if with_facility else []) + CSV_COLUMNS
    for person, answers in _answered(people, progress):
        head = [
            person.round,
            person.id,
            person.role,
            person.status,
            person.opened_on,
            person.closed_on or "",
        ]
        if with_facility:
            head.insert(0, person.facility)
        for item, value in answers:
            yield [*head, item, value]


def _safe_cells(row: list) -> list:
    return [spreadsheet_safe(v) if isinstance(v, str) else v for v in row]


def csv_stream(rows: Iterator[list]) -> Iterator[str]:
    """CSV lines, with every text cell a spreadsheet could run as a formula neutralised."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(_safe_cells(row))


def _iso(value) -> str | None:
    """A date, or a moment to the second: the microseconds say nothing to the reader."""
    if not value:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def facility_records(facility: Facility) -> dict:
    """What the facility's own people wrote and decided, for the download that is to hold
    everything before a facility is deleted: its members, its action plan, its
    intervention inventory, its shares and its audit log. Nothing in them is an answer."""
    from readiness.models import ActionItem, AuditEvent, FacilityIntervention, Membership, Share

    return {
        "members": [
            {
                "username": m.user.get_username(),
                "email": m.user.email,
                "level": m.level,
                "since": _iso(m.created_at),
            }
            for m in Membership.objects.filter(facility=facility).select_related("user")
        ],
        "action_plan": [
            {
                "title": item.title,
                "strategy": item.strategy.code if item.strategy else None,
                "targets": item.targets,
                "baseline_round": item.baseline_round.label if item.baseline_round else None,
                "owner": item.owner_name
                or (item.owner_member.get_username() if item.owner_member else ""),
                "due_on": _iso(item.due_on),
                "status": item.status,
                "note": item.note,
                "created_at": _iso(item.created_at),
            }
            for item in ActionItem.objects.filter(facility=facility).select_related(
                "strategy", "baseline_round", "owner_member"
            )
        ],
        "interventions": [
            {
                "intervention": entry.intervention.code,
                "status": entry.status,
                "since": _iso(entry.since),
            }
            for entry in FacilityIntervention.objects.filter(facility=facility).select_related(
                "intervention"
            )
        ],
        "shares": [
            {
                "partner": share.partner.name,
                "all_rounds": share.all_rounds,
                "include_strategies": share.include_strategies,
                "include_roles": share.include_roles,
                "created_at": _iso(share.created_at),
                "accepted_at": _iso(share.accepted_at),
                "revoked_at": _iso(share.revoked_at),
                "expires_on": _iso(share.expires_on),
            }
            for share in Share.objects.filter(facility=facility).select_related("partner")
        ],
        "audit_log": [
            {
                "at": event.created_at.isoformat(timespec="seconds"),
                "action": event.action,
                "by": event.username,
                "detail": event.detail,
            }
            for event in AuditEvent.objects.filter(facility=facility).order_by("created_at", "pk")
        ],
    }


def json_chunks(
    facility: Facility, *, include_unfinished: bool, people: list[Shown], progress=None
) -> Iterator[str]:
    """One JSON document: the facility, its rounds (with their dates), its own records
    (facility_records), and each shown respondent's answers (``people``, as
    shown_respondents chose them), under rule 4 of readiness.disclosure; ``progress`` as for
    _answered."""
    head = {
        "facility": {
            "name": facility.name,
            "slug": facility.slug,
            "type": facility.type,
            "state": facility.state,
            "setting": facility.setting,
        },
        "rounds": [
            {
                "label": r.label,
                "status": r.status,
                "opened_on": r.opened_on.isoformat(),
                "closed_on": r.closed_on.isoformat() if r.closed_on else None,
                "instrument": r.instrument.version,
            }
            for r in Round.objects.filter(facility=facility).select_related("instrument")
        ],
        "minimum_group": disclosure.min_group(facility),
        "unfinished_included": include_unfinished,
        **facility_records(facility),
    }
    yield json.dumps(head)[:-1] + ', "respondents": ['
    for n, (person, answers) in enumerate(_answered(people, progress)):
        yield ("," if n else "") + json.dumps(
            {
                "round": person.round,
                "respondent": person.id,
                "role": person.role,
                "status": person.status,
                "answers": [{"item": item, "value": value} for item, value in answers],
            }
        )
    yield "]}"


def write_xlsx(rows: Iterator[list], *, title: str, to) -> None:
    """Write rows to an .xlsx (``to``: a path or a binary file); openpyxl's write-only
    mode keeps one row in memory at a time."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    try:
        for row in rows:
            sheet.append(_safe_cells(row))
    except BaseException:
        # openpyxl keeps the rows in a temporary file until it is saved: closed here, so
        # that it can be deleted at once (services/downloads.py), not when the process ends
        with contextlib.suppress(Exception):
            sheet.close()
        raise
    workbook.save(to)


def xlsx_file(rows: Iterator[list], *, title: str):
    """Write rows to an .xlsx in a temporary file and return the open file, positioned at
    its start."""
    import tempfile

    handle = tempfile.TemporaryFile()
    write_xlsx(rows, title=title, to=handle)
    handle.seek(0)
    return handle


# Answer-level files are one row per answer; a spreadsheet holds 1,048,576 rows a sheet,
# the header included (Excel's limit, which LibreOffice and Google Sheets meet or lower).
SPREADSHEET_ROWS = 1_048_576


def data_dictionary(instrument_ids) -> Iterator[list]:
    """What a researcher needs to read the answers (as REDCap's data dictionary gives
    it): each statement of these questionnaire versions, header first, with its area,
    its text, its scale, whether it is scored in reverse and whom it is asked of."""
    from django.utils.translation import gettext as _

    from readiness.forms.questionnaire import OTHER_CHOICES, SCALE_CHOICES
    from readiness.models import Item

    scale = "; ".join(f"{value} = {label}" for value, label in SCALE_CHOICES + OTHER_CHOICES)
    yield [
        "questionnaire_version",
        "item",
        "domain",
        "determinant",
        "statement",
        "values",
        "reverse_scored",
        "asked_of",
    ]
    items = (
        Item.objects.filter(determinant__domain__instrument_id__in=instrument_ids)
        .select_related("determinant__domain__instrument")
        .order_by(
            "determinant__domain__instrument__loaded_at",
            "determinant__domain__instrument_id",
            "determinant__domain__position",
            "determinant__position",
            "position",
        )
    )
    for item in items:
        determinant = item.determinant
        yield [
            determinant.domain.instrument.version,
            item.code,
            determinant.domain.name,
            determinant.name,
            item.text,
            scale,
            "yes" if item.reverse_scored else "no",
            ", ".join(item.asked_of) if item.asked_of else _("everyone"),
        ]


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(*, fmt: str, name: str, rows):
    """A download made inside the request (a table of scores, a network's comparison):
    CSV is generated while it is sent; XLSX is written row by row to a temporary file
    first, then streamed from it. Answer-level files are prepared in the background
    (services/downloads.py)."""
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        response = StreamingHttpResponse(csv_stream(rows()), content_type="text/csv")
    else:
        response = FileResponse(xlsx_file(rows(), title=name), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{fmt}"'
    return response


# --- Scores by round ----------------------------------------------------------------------
#
# A facility's scores as its dashboards show them, one row per round, level (overall,
# domain, determinant) and code, for anyone who may read its results. Every figure comes
# from disclosure.released_summaries, which reads all the rounds in one query: what the
# dashboard hides is blank, with the reason beside it. The summaries carry no count of
# the people with a score for a determinant and no don't-know rate, so the file has
# neither (released_scores, which has them, costs queries per round).


def score_header() -> list[str]:
    """The column names of the scores by round, in the reader's language."""
    from django.utils.translation import gettext as _

    return [
        _("Round"),
        _("Opened on"),
        _("Closed on"),
        _("Status"),
        _("Questionnaire version"),
        _("Level"),
        _("Domain code"),
        _("Code"),
        _("Name"),
        _("Score (0 to 100)"),
        _("Band"),
        _("Band code"),
        _("People in the results"),
        _("Hidden because"),
    ]


def score_rows(round_: Round, summary, *, minimum: int) -> list[list]:
    """One round's rows: overall, then each domain followed by its determinants, in
    questionnaire order, from its summary (disclosure.released_summaries). Scores are
    whole numbers as pages show them (scoring.shown) and bands are those of the number shown
    (scoring.band_for): a score of 74.5 reads 75, a strength. A determinant the summary
    leaves out was hidden (fewer than ``minimum`` people have a score), and so is a domain
    whose determinants all were: their score is blank and the last column says why."""
    from django.utils.translation import gettext as _
    from django.utils.translation import pgettext

    from readiness import scoring
    from readiness.models import Band
    from readiness.pages import instrument_structure

    head = [
        round_.label,
        round_.opened_on,
        round_.closed_on,
        str(round_.get_status_display()),
        summary.instrument_version,
    ]

    def row(level, domain_code, code, name, score, hidden=None):
        band = scoring.band_for(score)
        return [
            *head,
            level,
            domain_code,
            code,
            name,
            scoring.shown(score),
            str(Band(band).label),
            str(band),
            summary.respondents,
            hidden,
        ]

    fewer = _("fewer than %(n)s people have a score") % {"n": minimum}
    rows = [
        row(
            pgettext("level of a score", "overall"),
            None,
            None,
            _("Overall readiness"),
            summary.overall,
            None if summary.overall is not None else fewer,
        )
    ]
    by_domain: dict[str, list] = {}
    for determinant in instrument_structure(round_.instrument).determinants:
        by_domain.setdefault(determinant.domain.code, []).append(determinant)
    for domain_code, determinants in by_domain.items():
        domain = determinants[0].domain
        score = summary.domains.get(domain_code)
        rows.append(
            row(
                pgettext("level of a score", "domain"),
                domain_code,
                domain_code,
                domain.name,
                score,
                None
                if score is not None
                else _("every determinant in it is hidden: %(reason)s") % {"reason": fewer},
            )
        )
        for determinant in determinants:
            score = summary.determinants.get(determinant.code)
            rows.append(
                row(
                    pgettext("level of a score", "determinant"),
                    domain_code,
                    determinant.code,
                    determinant.name,
                    score,
                    None if score is not None else fewer,
                )
            )
    return rows


def score_table(facility: Facility, rounds) -> list[list]:
    """The scores by round of these rounds of the facility (a queryset), header first,
    the newest round first; rounds whose published results show nothing are left out,
    as disclosure.released_summaries leaves them out.

    Two queries whatever the number of rounds: the rounds with their questionnaire
    version, and released_summaries. Besides, once: each questionnaire version's
    structure per process, and the published results of a round that had none yet (a
    round nobody finished, which released_summaries publishes as the dashboard does)."""
    rounds = list(rounds.select_related("instrument").order_by("-opened_on", "-pk"))
    summaries = disclosure.released_summaries([round_.pk for round_ in rounds])
    minimum = disclosure.min_group(facility)
    table = [score_header()]
    for round_ in rounds:
        summary = summaries.get(round_.pk)
        if summary is not None:
            table += score_rows(round_, summary, minimum=minimum)
    return table
