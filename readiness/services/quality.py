"""Data-quality checks: catching ballot stuffing from the answers themselves.

No IP address is stored, so a round stuffed by one person or a script can only be seen in
its responses. Two rules flag a finished response (docs/security.md):

- too fast: fewer than QUALITY_MIN_SECONDS_PER_STATEMENT seconds per statement answered;
- straight-lined: the same answer to every statement, reverse-worded ones included.

Time is measured without a time of day: each questionnaire page carries a signed "shown
at" value (``page_shown_value``); each save adds the seconds since then, capped per page,
to ``Respondent.active_seconds``; at finish only whole minutes are kept
(``whole_minutes``). Flags never remove anything by themselves: owners choose to keep
flagged responses out of a round's results from then on (``set_exclude_flagged``).
"""

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Count

from readiness.disclosure import release_for
from readiness.models import Answer, AuditEvent, Respondent, Round
from readiness.services.audit import record
from readiness.services.releases import FLAGGED, refresh_release

# At most this long counts for one page, so that a lunch break or a tab left open
# overnight does not make a response look slow.
PAGE_SECONDS_CAP = 30 * 60
# A "shown at" value older than this counts nothing at all.
PAGE_SHOWN_MAX_AGE = 24 * 60 * 60
_SALT = "readiness.page-shown"


def _signer(respondent_id: int) -> signing.TimestampSigner:
    # Bound to the respondent and (in the signed value) the page, so a value cannot be
    # carried to another respondent's or another page's form.
    return signing.TimestampSigner(salt=f"{_SALT}:{respondent_id}")


def page_shown_value(*, respondent_id: int, page: int) -> str:
    """The signed "shown at" value for a page form: the page number and a timestamp."""
    return _signer(respondent_id).sign(str(page))


def seconds_on_page(value: str | None, *, respondent_id: int, page: int) -> int:
    """Seconds since the page with this "shown at" value was shown, at most
    PAGE_SECONDS_CAP; 0 for a missing, tampered, expired or other page's value."""
    if not value:
        return 0
    signer = _signer(respondent_id)
    try:
        signed_page = signer.unsign(value, max_age=PAGE_SHOWN_MAX_AGE)
    except signing.BadSignature:  # tampered, or expired (SignatureExpired)
        return 0
    if signed_page != str(page):
        return 0
    # A valid value is "page:timestamp:signature".
    shown_at = signing.b62_decode(value.rsplit(signer.sep, 2)[1])
    return max(0, min(PAGE_SECONDS_CAP, int(time.time()) - shown_at))


def whole_minutes(seconds: int) -> int:
    """A duration in whole minutes, rounded half up (90 s is 2 minutes)."""
    return (max(0, seconds) + 30) // 60


def is_too_fast(seconds: int, statements: int) -> bool:
    """Fewer than QUALITY_MIN_SECONDS_PER_STATEMENT seconds per statement answered."""
    return statements > 0 and seconds < settings.QUALITY_MIN_SECONDS_PER_STATEMENT * statements


def is_straight_lined(answers: Iterable[tuple[str, int | None, bool]]) -> bool:
    """The same answer (same kind, same value) to every statement answered, among them at
    least one reverse-scored statement and one that is not: agreeing, or disagreeing,
    with a statement and with its opposite alike.

    ``answers``: (kind, value, reverse_scored) per answer; repeats change nothing, so the
    distinct combinations are enough.
    """
    answers = list(answers)
    return (
        len({(kind, value) for kind, value, _ in answers}) == 1
        and any(reverse for *_, reverse in answers)
        and not all(reverse for *_, reverse in answers)
    )


@dataclass(frozen=True)
class Flags:
    too_fast: bool = False
    straight_lined: bool = False


def assess(respondent_ids: Iterable[int], *, seconds: dict[int, int] | None = None):
    """{respondent id: Flags} from one grouped query on their answers.

    ``seconds``: time spent answering, per respondent; respondents without one (imports)
    are never too fast, since their time is unknown.
    """
    ids = list(respondent_ids)
    seconds = seconds or {}
    combinations: dict[int, list[tuple[str, int | None, bool]]] = defaultdict(list)
    statements: dict[int, int] = defaultdict(int)
    for respondent_id, kind, value, reverse, n in (
        Answer.objects.filter(respondent_id__in=ids)
        .values_list("respondent_id", "kind", "value", "item__reverse_scored")
        .annotate(n=Count("id"))
        .order_by()
    ):
        combinations[respondent_id].append((kind, value, reverse))
        statements[respondent_id] += n
    return {
        pk: Flags(
            too_fast=pk in seconds and is_too_fast(seconds[pk], statements[pk]),
            straight_lined=is_straight_lined(combinations[pk]),
        )
        for pk in ids
    }


def flag(respondent_ids: Iterable[int], *, seconds: dict[int, int] | None = None):
    """Assess these respondents and store their flags; returns {id: Flags}."""
    flags = assess(respondent_ids, seconds=seconds)
    by_flags: dict[Flags, list[int]] = defaultdict(list)
    for pk, result in flags.items():
        by_flags[result].append(pk)
    for result, ids in by_flags.items():
        Respondent.objects.filter(pk__in=ids).update(
            too_fast=result.too_fast, straight_lined=result.straight_lined
        )
    return flags


# --- The owners' choice ----------------------------------------------------------------


@dataclass(frozen=True)
class Exclusion:
    changed: bool
    flagged: int  # finished responses flagged by the checks
    # Excluding: flagged responses already published, which stay (published results only
    # grow). Counting again: flagged responses that join with the next step.
    unaffected: int


@transaction.atomic
def set_exclude_flagged(*, round_: Round, exclude: bool, by) -> Exclusion:
    """Keep the round's flagged responses out of its results, or count them again.

    Recorded in the audit log with the number flagged. Published results only grow
    (services/releases.py): flagged responses already in them stay, and flagged ones
    counted again join with the next step, never one by one.

    Every count here is one that changes only when the results are updated (published
    people, or the release's counts as of its last update): a live count, read by
    choosing again after a colleague finishes, would tell whether that colleague's
    response was flagged.
    """
    changed = bool(
        Round.objects.filter(pk=round_.pk)
        .exclude(exclude_flagged=exclude)
        .update(exclude_flagged=exclude)
    )
    round_.exclude_flagged = exclude
    count = release_for(round_).flagged
    if changed:
        record(
            action=AuditEvent.Action.FLAGGED_EXCLUDED
            if exclude
            else AuditEvent.Action.FLAGGED_INCLUDED,
            user=by,
            facility=round_.facility,
            round=round_.label,
            flagged=count,
        )
    release = refresh_release(round_id=round_.pk)
    if exclude:
        unaffected = Respondent.objects.filter(FLAGGED, round=round_, published=True).count()
    else:
        unaffected = release.kept_out  # kept out at the last update; they join at the next
    return Exclusion(changed=changed, flagged=count, unaffected=unaffected)
