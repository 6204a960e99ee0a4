"""Redress rules (the request workflow comes with the redress issue): what it must know of a subject."""

from __future__ import annotations

from shared.events.cases import EncounterAttached


def subject_update(event: EncounterAttached) -> dict[str, object]:
    """Redress finds records about a requester by subject; it keeps which programs hold them."""
    return {"subject_id": event.subject_id, "program": event.program}
