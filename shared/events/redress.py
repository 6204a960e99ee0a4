"""Contracts published by redress."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel

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
class RedressSlaNearing(Event):
    """An open redress request is due within the warning period (announced once per due date): ids, the day and
    who works it, so the gateway can tell them. Nothing about the requester."""

    event_type = "RedressSlaNearing"
    schema_version = 1
    topic = topics.REDRESS

    redress_id: uuid.UUID
    due_on: date
    reviewers: list[str] = []
    opened_by: str

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


class NoticedRecord(BaseModel):
    """A record a notice is about, with the subject cases filed it under when the notice left."""

    encounter_id: uuid.UUID
    subject_id: uuid.UUID


@contract
class OwnerNoticeSent(Event):
    """A system owner was told of a discrepancy in its records: disclosure accounts it for each subject. Ids and
    facts only; the discrepancy's text stays in redress (it may quote personal data)."""

    event_type = "OwnerNoticeSent"
    schema_version = 1
    topic = topics.REDRESS

    notice_id: uuid.UUID
    redress_id: uuid.UUID
    data_owner: str
    channel: str
    sent_on: date
    sent_by: str
    records: list[NoticedRecord] = []

    def partition_key(self) -> str:
        return str(self.redress_id)
