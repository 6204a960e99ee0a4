"""Contracts published by cases; enough data for disclosure and reporting projections, no free text."""

from __future__ import annotations

import uuid

from shared.events import topics
from shared.events.envelope import Event, contract


@contract
class EncounterAttached(Event):
    """An imported encounter now belongs to a subject in cases."""

    event_type = "EncounterAttached"
    schema_version = 1
    topic = topics.CASES

    encounter_id: uuid.UUID
    subject_id: uuid.UUID
    batch_id: uuid.UUID
    program: str
    upload_kind: str
    data_owner: str | None = None
    partner_country: str | None = None
    protected_class: str | None = None
    matched: bool = True
    encounter_date: str | None = None

    def partition_key(self) -> str:
        return str(self.subject_id)
