"""Contracts published by redress."""

from __future__ import annotations

import uuid
from datetime import date

from shared.events import topics
from shared.events.envelope import Event, contract


@contract
class CorrectionAccepted(Event):
    """A data owner accepted a correction: cases applies it to the encounter (the only way an imported field
    changes) and lists who received the old value (Privacy Act 552a(c)(4))."""

    event_type = "CorrectionAccepted"
    schema_version = 1
    topic = topics.REDRESS

    redress_id: uuid.UUID
    correction_id: uuid.UUID
    encounter_id: uuid.UUID
    field: str
    corrected_value: str
    data_owner: str

    def partition_key(self) -> str:
        return str(self.redress_id)


@contract
class RedressStatusChanged(Event):
    """Processing-time facts for reporting: no requester data, only dates and outcomes."""

    event_type = "RedressStatusChanged"
    schema_version = 1
    topic = topics.REDRESS

    redress_id: uuid.UUID
    source: str
    status: str
    received_on: date
    due_on: date
    determination: str | None = None

    def partition_key(self) -> str:
        return str(self.redress_id)


@contract
class RelinkAccepted(Event):
    """Redress found encounters linked to the wrong person: cases moves them to `to_subject_id` (a subject
    redress names; `new_subject` asks cases to create it with that id). Undoing is another re-link."""

    event_type = "RelinkAccepted"
    schema_version = 1
    topic = topics.REDRESS

    redress_id: uuid.UUID
    relink_id: uuid.UUID
    encounter_ids: list[uuid.UUID]
    from_subject_id: uuid.UUID
    to_subject_id: uuid.UUID
    new_subject: bool = False
    undoes: uuid.UUID | None = None

    def partition_key(self) -> str:
        return str(self.redress_id)
