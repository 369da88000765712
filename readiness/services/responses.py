"""Writes made by anonymous respondents: starting, saving a page, finishing.

Progress belongs to the respondent's personal token, never to a browser session, so
an expired session or a lost cookie cannot lose answers. Every write is idempotent:
a double-clicked button or a re-posted page stores the same answers once.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from readiness.models import (
    Answer,
    DeterminantScore,
    Respondent,
    Role,
    Round,
    hash_token,
)
from readiness.scoring import respondent_scores
from readiness.services import quality
from readiness.services.releases import refresh_release


class ResponseRefused(Exception):
    """The write cannot happen; the message says why in words a respondent understands."""


class RoundClosed(ResponseRefused):
    pass


class AlreadyFinished(ResponseRefused):
    pass


class StartFormUsed(ResponseRefused):
    pass


def resume_token(*, round_: Round, nonce: str) -> str:
    """The personal token for a start form's nonce.

    Derived rather than random so that a second click on "Start" can be sent to the
    same personal link as the first; only the token's hash is stored.
    """
    return salted_hmac(
        "readiness.respondent.resume", f"{round_.pk}:{nonce}", algorithm="sha256"
    ).hexdigest()


@dataclass(frozen=True)
class Started:
    respondent: Respondent
    token: str


def start_respondent(
    *, round_: Round, role: Role, nonce: str, language: str = settings.LANGUAGE_CODE
) -> Started:
    """A new respondent, in the language they read the start page in (their pages and
    personal link keep it; languages.py)."""
    if not round_.is_open:
        raise RoundClosed(_("This assessment is closed and no longer takes answers."))
    token = resume_token(round_=round_, nonce=nonce)
    try:
        with transaction.atomic():
            respondent = Respondent.objects.create(
                round=round_,
                role=role,
                start_nonce=nonce,
                token_hash=hash_token(token),
                language=language,
            )
    except IntegrityError:
        # The same start form was posted twice (a double click, or the back button).
        respondent = Respondent.objects.get(round=round_, start_nonce=nonce)
        if respondent.pages_saved or respondent.is_finished:
            # Someone already answered through this form: never hand their answers to
            # whoever posts it again, for example on a shared computer.
            raise StartFormUsed(
                _("This start form was already used. Please choose your role again.")
            ) from None
        if respondent.role_id != role.pk:
            Respondent.objects.filter(pk=respondent.pk).update(role=role)
            respondent.role = role
    return Started(respondent=respondent, token=token)


def find_respondent(token: str) -> Respondent | None:
    return (
        Respondent.objects.select_related("round__facility", "round__instrument", "role")
        .filter(token_hash=hash_token(token), round__facility__deleted_at__isnull=True)
        .first()
    )


def _refuse_unless_open(respondent: Respondent) -> None:
    if not respondent.round.is_open:
        raise RoundClosed(_("This assessment is closed and no longer takes answers."))


@dataclass(frozen=True)
class Saved:
    finished: bool
    # With finish requested but a page left incomplete: the first such page (from 1).
    first_incomplete_page: int | None = None


@transaction.atomic
def save_page(
    *,
    respondent: Respondent,
    page: int,
    answers: dict[int, tuple[str, int | None]],
    finish: bool = False,
    seconds: int = 0,
    language: str | None = None,
) -> Saved:
    """Store one page's answers ({item id: (kind, value)}), and finish when asked.

    ``seconds``: time spent on the page (quality.seconds_on_page), added to the
    respondent's active time. At finish only whole minutes are kept, and the
    data-quality flags are set (services/quality.py). ``language``: the one the
    respondent switched to, in which their personal link reopens from now on.

    The respondent row is updated first, only while it is still in progress: that
    update is the lock (a row lock on PostgreSQL, the write lock on SQLite), so two
    concurrent posts from one respondent run one after the other, and nothing is
    written for a respondent who has finished. The page's answers are kept even when
    finishing is refused because an earlier page is incomplete.
    """
    _refuse_unless_open(respondent)
    touched = Respondent.objects.filter(
        pk=respondent.pk, status=Respondent.Status.IN_PROGRESS
    ).update(
        pages_saved=Greatest("pages_saved", page),
        active_seconds=F("active_seconds") + max(0, seconds),
        **({"language": language} if language else {}),
    )
    if not touched:
        raise AlreadyFinished(_("You have already submitted your answers. Thank you!"))
    Answer.objects.bulk_create(
        [
            Answer(respondent=respondent, item_id=item_id, kind=kind, value=value)
            for item_id, (kind, value) in answers.items()
        ],
        update_conflicts=True,
        unique_fields=["respondent", "item"],
        update_fields=["kind", "value"],
    )
    result = Saved(finished=False)
    if finish:
        incomplete = first_incomplete_page(respondent)
        if incomplete is None:
            active = Respondent.objects.values_list("active_seconds", flat=True).get(
                pk=respondent.pk
            )
            flags = quality.assess([respondent.pk], seconds={respondent.pk: active})
            Respondent.objects.filter(pk=respondent.pk).update(
                status=Respondent.Status.FINISHED,
                finished_on=timezone.localdate(),
                # a duration in whole minutes; the seconds go
                minutes_to_complete=quality.whole_minutes(active),
                active_seconds=0,
                too_fast=flags[respondent.pk].too_fast,
                straight_lined=flags[respondent.pk].straight_lined,
            )
            DeterminantScore.objects.bulk_create(respondent_scores([respondent.pk]))
            refresh_release(round_id=respondent.round_id)
            result = Saved(finished=True)
        else:
            result = Saved(finished=False, first_incomplete_page=incomplete)
    return result


def first_incomplete_page(respondent: Respondent) -> int | None:
    """The first of the respondent's pages (pages.questionnaire_pages for their role,
    from 1) with an unanswered statement, or None."""
    from readiness.pages import questionnaire_pages

    answered = set(Answer.objects.filter(respondent=respondent).values_list("item_id", flat=True))
    for page in questionnaire_pages(respondent.round.instrument, respondent.role.code):
        if any(item.pk not in answered for item in page.items):
            return page.number
    return None
