"""Contracts of retention across services (topic `tracs.retention.v1`): legal holds, placed and released in
cases, reach every service that keeps records about what they name; every service reports what a retention
run disposed of, as counts per record kind and rule (never an id or a value), which reporting totals."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from shared.events import topics
from shared.events.envelope import Event, contract


@contract
class LegalHoldPlaced(Event):
    """A legal hold, resolved by cases into everything it covers when placed: the subject it names (if any),
    the cases and encounters of that subject or of the case it names. Other services match their own records
    (accounting rows, drafts, notices, redress links) against these ids; the reason travels for the audit."""

    event_type = "LegalHoldPlaced"
    schema_version = 1
    topic = topics.RETENTION

    hold_id: uuid.UUID
    subject_id: uuid.UUID | None = None
    case_ids: list[uuid.UUID] = []
    encounter_ids: list[uuid.UUID] = []
    reason: str
    placed_by: str

    def partition_key(self) -> str:
        return str(self.hold_id)


@contract
class LegalHoldReleased(Event):
    """The hold no longer spares what it covered from the next retention run of any service."""

    event_type = "LegalHoldReleased"
    schema_version = 1
    topic = topics.RETENTION

    hold_id: uuid.UUID
    released_by: str

    def partition_key(self) -> str:
        return str(self.hold_id)


class DisposedCount(BaseModel):
    """How many records of one kind went under one rule (the schedule's row, by its words)."""

    kind: str
    count: int
    held: int = 0  # due, but spared by a legal hold
    rule: str


@contract
class RecordsDisposed(Event):
    """A retention run of one service disposed of records: counts only, for the disposal report."""

    event_type = "RecordsDisposed"
    schema_version = 1
    topic = topics.RETENTION

    service: str
    run_id: uuid.UUID
    as_of: datetime
    counts: list[DisposedCount]

    def partition_key(self) -> str:
        return self.service
