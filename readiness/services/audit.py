"""The audit log: written here, read by facility owners, never edited through the app."""

from readiness.models import AuditEvent


def _event(*, action: str, user, facility, detail: dict) -> AuditEvent:
    return AuditEvent(
        action=action,
        user=user if user is not None and user.is_authenticated else None,
        username=getattr(user, "username", "") or "",
        facility=facility,
        detail=detail,
    )


def record(*, action: str, user=None, facility=None, **detail) -> AuditEvent:
    event = _event(action=action, user=user, facility=facility, detail=detail)
    event.save()
    return event


def record_for_facilities(*, action: str, user, facilities, **detail) -> list[AuditEvent]:
    """The same event once in each facility's log, in one query (a network's download
    concerns every site in it, and each site's owners read their own log)."""
    return AuditEvent.objects.bulk_create(
        _event(action=action, user=user, facility=facility, detail=detail)
        for facility in facilities
    )
