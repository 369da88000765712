"""The audit log: written here, read by facility owners, never edited through the app."""

from readiness.models import AuditEvent


def record(*, action: str, user=None, facility=None, **detail) -> AuditEvent:
    return AuditEvent.objects.create(
        action=action,
        user=user if user is not None and user.is_authenticated else None,
        username=getattr(user, "username", "") or "",
        facility=facility,
        detail=detail,
    )
