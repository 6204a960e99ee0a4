"""The gateway keeps every service's signed audit checkpoints (its only subscription)."""

from __future__ import annotations

from pathlib import Path

from services.gateway import audit_archive
from services.gateway.settings import Settings
from shared.events import topics
from shared.events.audit import AuditCheckpointSigned
from shared.runtime import Subscription


def subscriptions(settings: Settings) -> tuple[Subscription, ...]:
    return (
        Subscription(
            name="audit-checkpoints",
            topics=(topics.AUDIT_CHECKPOINT,),
            handlers={AuditCheckpointSigned: audit_archive.checkpoint_keeper(Path(settings.audit_checkpoint_file))},
            description="Every service's signed audit checkpoints -> the gateway's table and archive file",
        ),
    )
