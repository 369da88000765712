"""What a facility lets others see of its results: its network's answer downloads, its
part in other facilities' benchmarks, and the smallest group any page shows."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from readiness.models import AuditEvent, Facility
from readiness.services.audit import record


@transaction.atomic
def set_network_answer_access(*, facility: Facility, allowed: bool, by) -> bool:
    """Whether the leaders of the facility's network may download its answers, one row per
    respondent (rule 4 of readiness.disclosure). Downloads read it on every request, so a revoke
    takes effect on the next one, and the network's files already prepared with the
    facility's answers are deleted. Returns whether anything changed; only a change is
    recorded in the audit log."""
    current = (
        # (PostgreSQL locks no row of the nullable side of a join: the facility only)
        Facility.objects.select_for_update(of=("self",))
        .select_related("network")
        .only("network_answer_access", "network__name")
        .get(pk=facility.pk)
    )
    if allowed and current.network is None:
        raise ValidationError(_("This facility does not belong to a network."))
    if current.network_answer_access == allowed:
        return False
    Facility.objects.filter(pk=facility.pk).update(network_answer_access=allowed)
    facility.network_answer_access = allowed
    from readiness.services.facilities import results_changed

    results_changed(facility_id=facility.pk)  # the network page lists the sites allowing it
    if not allowed and current.network is not None:
        from readiness.services.downloads import withdraw_for

        withdraw_for(facility_id=facility.pk, network_id=current.network.pk)
    record(
        action=AuditEvent.Action.NETWORK_ANSWERS_GRANTED
        if allowed
        else AuditEvent.Action.NETWORK_ANSWERS_REVOKED,
        user=by,
        facility=facility,
        network=current.network.name if current.network else "",
    )
    return True


@transaction.atomic
def set_benchmark_consent(*, facility: Facility, contributes: bool, by) -> None:
    """Whether the facility's latest closed round counts in other facilities' comparisons."""
    Facility.objects.filter(pk=facility.pk).update(contributes_to_benchmarks=contributes)
    record(
        action=AuditEvent.Action.BENCHMARKS_JOINED
        if contributes
        else AuditEvent.Action.BENCHMARKS_LEFT,
        user=by,
        facility=facility,
    )


@transaction.atomic
def set_min_group(*, facility: Facility, min_group: int, by) -> None:
    """Raise the smallest group shown; it never goes down, since two views of the same
    results under two minimums could hide different cells.

    Published results keep their people; what may be shown of them follows at once
    (readiness.disclosure decides on every read).
    """
    from readiness.disclosure import min_group as current_min_group
    from readiness.services.facilities import results_changed

    old = current_min_group(facility)
    if min_group < old:
        raise ValidationError(
            _("The smallest group can be raised, not lowered (now %(n)s).") % {"n": old}
        )
    # Kept even when it equals the site's setting, so that the owners' choice holds if
    # the site's setting is lowered later (min_group() takes the larger of the two).
    Facility.objects.filter(pk=facility.pk).update(min_group=min_group)
    results_changed(facility_id=facility.pk)
    if min_group > old:
        from readiness.services.downloads import withdraw_changed

        withdraw_changed(facility.pk)
    record(
        action=AuditEvent.Action.MIN_GROUP_CHANGED,
        user=by,
        facility=facility,
        old=old,
        new=min_group,
    )
