"""Contracts every service publishes about its own audit trail."""

from __future__ import annotations

from datetime import datetime

from shared.events import topics
from shared.events.envelope import Event, contract


@contract
class AuditCheckpointSigned(Event):
    """A service's sequencer signed the head of its audit trail (Ed25519): the first `size` entries end in
    `head_hash`. Kept by the gateway outside the service's database, so a rewritten trail is caught."""

    event_type = "AuditCheckpointSigned"
    schema_version = 1
    topic = topics.AUDIT_CHECKPOINT

    service: str
    size: int
    head_hash: str
    signed_at: datetime
    key_id: str
    signature: str

    def partition_key(self) -> str:
        return self.service
