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
    # The Merkle tree's checkpoint (a C2SP signed note: origin, tree size, RFC 9162 root) and the leaf hashes
    # (base64, 32 bytes each) of entries `first`.. up to its size: kept outside the service's database so a
    # later rewrite is named at its entry. Absent from checkpoints signed before the tree existed.
    note: str | None = None
    first: int | None = None
    leaves: str | None = None

    def partition_key(self) -> str:
        return self.service
