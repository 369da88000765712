"""The intervention catalogue, and where each facility stands with each intervention."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from readiness.models import Facility, FacilityIntervention, Intervention


@transaction.atomic
def load_interventions(*, data: dict) -> int:
    """Create or update the catalogue from its fixture, by code; returns how many."""
    entries = data.get("interventions") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ValidationError("Expected an object with a non-empty 'interventions' list")
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(key), str) and entry[key].strip()
            for key in ("code", "name", "description")
        ):
            raise ValidationError(f"Intervention {position + 1}: code, name and description")
        Intervention.objects.update_or_create(
            code=entry["code"],
            defaults={
                "name": entry["name"],
                "description": entry["description"],
                "source": entry.get("source", ""),
                "position": position,
            },
        )
    return len(entries)


@transaction.atomic
def record_inventory(*, facility: Facility, statuses: dict[int, tuple[str, date | None]]) -> None:
    """Store each intervention's status ({intervention id: (status, since)}); an empty
    status means "not recorded" and removes an earlier entry."""
    now = timezone.now()
    for intervention_id, (status, since) in statuses.items():
        if not status:
            FacilityIntervention.objects.filter(
                facility=facility, intervention_id=intervention_id
            ).delete()
            continue
        FacilityIntervention.objects.update_or_create(
            facility=facility,
            intervention_id=intervention_id,
            defaults={"status": status, "since": since, "updated_at": now},
        )
