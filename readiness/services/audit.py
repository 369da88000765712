"""The audit log: written here, read by facility owners, never edited through the app."""

from readiness.models import AuditEvent


def _event(*, action: str, user, detail: dict, **facility) -> AuditEvent:
    """``facility``: facility= (a Facility or None) or facility_id=."""
    return AuditEvent(
        action=action,
        user=user if user is not None and user.is_authenticated else None,
        username=getattr(user, "username", "") or "",
        detail=detail,
        **facility,
    )


def record(*, action: str, user=None, facility=None, **detail) -> AuditEvent:
    event = _event(action=action, user=user, facility=facility, detail=detail)
    event.save()
    return event


def record_download(*, user, facilities, download: str, fmt: str, **detail) -> list[AuditEvent]:
    """A download served at once (not prepared: services/downloads records those), in the
    log of each facility whose figures it holds."""
    return record_for_facilities(
        action=AuditEvent.Action.EXPORTED,
        user=user,
        facilities=facilities,
        download=download,
        format=fmt,
        **detail,
    )


def record_for_facilities(*, action: str, user, facilities, **detail) -> list[AuditEvent]:
    """The same event once in each facility's log, in one query (a network's download
    concerns every site in it, and each site's owners read their own log). ``facilities``:
    anything with a ``pk`` (Facility, comparison.SiteFacility)."""
    return AuditEvent.objects.bulk_create(
        _event(action=action, user=user, facility_id=facility.pk, detail=detail)
        for facility in facilities
    )
