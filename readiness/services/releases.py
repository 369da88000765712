"""Published results: the snapshot of a round that pages show (readiness.disclosure, rule 3).

A round's published results are the aggregates of the respondents marked ``published``,
stored in its RoundRelease. Whatever two versions of them someone compares, the
difference is never about fewer than the minimum group:

- people only ever join the published results, never leave them (flagged responses the
  owners leave out are kept from joining; imports cannot replace published people), so
  any two versions differ by the people who joined in between;
- people join in steps: at least the minimum of them at once, and for every determinant
  already shown either none of them or at least the minimum has a score, so that no
  figure of the page (a determinant, its number of people, its interval) moves by one
  or two people, and none or at least the minimum of them answered any of its
  statements (a "don't know" moves its don't-know rate). (A determinant still hidden
  showed nothing to subtract from.) Until a
  step is possible, people who finished wait; the dashboard says how many;
- a round set to publish when it closes publishes nothing before.

Results by role are shown only for results published in one step (disclosure.restrict),
because the parts of a total shown at one time could be subtracted from the total shown
at another.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from readiness import languages
from readiness.models import Answer, DeterminantScore, Respondent, Round, RoundRelease
from readiness.scoring import aggregate, combine
from readiness.services.facilities import results_changed

FLAGGED = Q(too_fast=True) | Q(straight_lined=True)


def eligible(round_: Round) -> Q:
    """Respondents who belong in the round's results: finished, and not kept out."""
    condition = Q(status=Respondent.Status.FINISHED)
    if round_.exclude_flagged:
        condition &= ~FLAGGED
    return condition


def is_step(joining, minimum: int, *, shown: set[str], shown_items: set[str] = frozenset()):
    """Whether these respondents may join the published results together: at least the
    minimum of them, and for every determinant in ``shown`` (by code) none or at least
    the minimum of them with a score, and none or at least the minimum who answered any
    of its statements (a "don't know", or a rating short of a score, still moves its
    don't-know rate and agreement); and for every statement in ``shown_items`` none or
    at least the minimum who answered it (statements are asked of some roles only)."""
    if joining.count() < minimum:
        return False
    answered = (
        Answer.objects.filter(respondent__in=joining, item__code__in=shown_items)
        .values("item_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("n", flat=True)
    )
    if not all(n >= minimum for n in answered):
        return False
    counts = (
        DeterminantScore.objects.filter(respondent__in=joining, determinant__code__in=shown)
        .values("determinant_id")
        .annotate(answered=Count("id"), scored=Count("score"))
        .order_by()
        .values_list("answered", "scored")
    )
    return all(n == 0 or n >= minimum for row in counts for n in row)


@transaction.atomic
def refresh_release(*, round_id: int) -> RoundRelease:
    """Publish what may be published now; returns the round's release, changed or not.

    The round's row is locked first, so two respondents finishing at once publish one
    after the other, and a step is never counted twice.
    """
    from readiness.disclosure import language_hiding, languages_shown, merged_roles, min_group
    from readiness.pages import instrument_structure

    # Only the round's row: on PostgreSQL, rows joined by select_related would be locked
    # too, and every finish on the same instrument would queue behind one row.
    round_ = (
        Round.objects.select_for_update(of=("self",))
        .select_related("facility", "instrument")
        .get(pk=round_id)
    )
    release, created = RoundRelease.objects.get_or_create(round=round_)
    minimum = min_group(round_.facility)
    joining = Respondent.objects.filter(eligible(round_), round=round_, published=False)
    if round_.publish_at_close and round_.is_open:
        joining = joining.none()
    # People of a new role too small to name in answer-level data, whom only a role
    # already named could pool with, wait: a named role never becomes "small roles".
    joining = joining.exclude(role__code__in=_unpoolable(release, joining, minimum))
    # Determinants anyone may have seen: judged by the site's minimum, the smallest any
    # version of these results was shown under, whatever the facility's minimum is now.
    site_minimum = settings.DISCLOSURE_MIN_GROUP
    shown = {
        code
        for code, row in release.aggregates.get("determinants", {}).items()
        if release.respondents and row["scored"] >= site_minimum
    }
    # Statements shown for everyone: those asked of every role (a statement asked of
    # some roles only is shown by role, in results published at once, never in steps).
    routed = {item.code for item in instrument_structure(round_.instrument).items if item.asked_of}
    shown_items = {
        code
        for code, counts in release.aggregates.get("items", {}).items()
        if release.respondents and sum(counts.values()) >= site_minimum and code not in routed
    }
    joining = _without_lone_answers(joining, minimum, shown_items)
    joined = (
        list(joining.values_list("pk", flat=True))
        if is_step(joining, minimum, shown=shown, shown_items=shown_items)
        else []
    )
    changed = Respondent.objects.filter(pk__in=joined).update(published=True) > 0
    if changed or created:
        offered = [language.code for language in languages.offered(round_.instrument)]
        counted_before = languages_shown(release, minimum, offered=offered)
        if "sums" in release.aggregates:
            # What the results grow by, added to them: the cost of a step is the cost of
            # the people joining, whether the round has 40 people or 30,000.
            grown = combine(release.aggregates, aggregate(round_, respondent_ids=joined))
        else:  # a new release, or one kept before its sums were
            grown = aggregate(round_, published=True)
        release.set_aggregates(grown)
        release.respondents = release.aggregates["respondents"]
        release.merged_roles = merged_roles(
            release.aggregates["roles"], minimum, already=release.merged_roles
        )
        release.hidden_languages = language_hiding(
            release.aggregates.get("languages", {}),
            minimum,
            already=release.hidden_languages,
            shown_before={c.code for c in counted_before if c.respondents is not None},
        )
        release.number += int(changed)
        release.updated_on = timezone.localdate()
        # Flags of the people in these results, and of those kept out of them; never of
        # people merely waiting, who would be counted in one update and join in another.
        flagged = Respondent.objects.filter(
            FLAGGED, round=round_, status=Respondent.Status.FINISHED
        ).aggregate(published=Count("pk", filter=Q(published=True)), waiting=Count("pk"))
        release.kept_out = (
            flagged["waiting"] - flagged["published"] if round_.exclude_flagged else 0
        )
        release.flagged = flagged["published"] + release.kept_out
        release.save()
    if changed:
        results_changed(facility_id=round_.facility_id)
    return release


def _without_lone_answers(joining, minimum: int, shown_items: set[str]):
    """The joining people, less those who answered a shown statement that fewer than the
    minimum of them answered (a statement asked of one role, say, with one person of it
    among them): those wait for more of their kind, so the others need not."""
    for _ in range(len(shown_items) + 1):
        lone = set(
            Answer.objects.filter(respondent__in=joining, item__code__in=shown_items)
            .values("item__code")
            .annotate(n=Count("id"))
            .filter(n__lt=minimum)
            .values_list("item__code", flat=True)
        )
        if not lone:
            break
        joining = joining.exclude(answers__item__code__in=lone)
    return joining


def _unpoolable(release: RoundRelease, joining, minimum: int) -> set[str]:
    """Roles of joining people that answer-level data could only merge by merging a role
    it already names (disclosure.merged_roles): these people wait for more of their role."""
    from readiness.disclosure import merged_roles

    published = release.aggregates.get("roles", {})
    named = {r for r, n in published.items() if n >= minimum and r not in release.merged_roles}
    counts = dict(published)
    for role, n in joining.values_list("role__code").annotate(n=Count("id")).order_by():
        counts[role] = counts.get(role, 0) + n
    if not set(merged_roles(counts, minimum, already=release.merged_roles)) & named:
        return set()
    return {r for r, n in counts.items() if n < minimum and r not in release.merged_roles}
