"""A facility's JSON download: the facility, its rounds, its own records (members,
plans, shares, audit) and its shown respondents' answers, as one document written in
chunks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from readiness import disclosure
from readiness.exports.answers import Shown, answered
from readiness.models import Facility, Round


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
    answered."""
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
    for n, (person, answers) in enumerate(answered(people, progress)):
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
