"""Contracts published by disclosure (counts and times only: reporting builds on them)."""

from __future__ import annotations

import uuid
from datetime import datetime

from shared.events import topics
from shared.events.envelope import Event, contract


@contract
class DisclosureSent(Event):
    """A response left for a partner: when, under which program, how many encounters per data owner."""

    event_type = "DisclosureSent"
    schema_version = 1
    topic = topics.DISCLOSURE

    accounting_id: uuid.UUID
    case_id: uuid.UUID
    program: str
    partner_country: str | None = None
    matched: bool
    sent_at: datetime
    case_opened_at: datetime
    shared_by_owner: dict[str, int] = {}

    def partition_key(self) -> str:
        return str(self.case_id)
