"""Answer-level rows under rule 4 of readiness.disclosure: who is shown (only the people
in the published results unless asked for everyone, small roles merged), under fresh
random ids in a random order, with the round's dates instead of each respondent's; and
the data dictionary that explains the statements."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.db.models import F

from readiness import disclosure
from readiness.models import Answer, Respondent, Round, RoundRelease

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


def answered(people: list[Shown], progress=None) -> Iterator[tuple[Shown, list[tuple[str, str]]]]:
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
    neutralise formulas); ``progress`` as for answered."""
    yield (["facility"] if with_facility else []) + CSV_COLUMNS
    for person, answers in answered(people, progress):
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
