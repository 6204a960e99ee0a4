"""The gateway keeps every service's signed audit checkpoints (its only subscription)."""

from __future__ import annotations

from pathlib import Path

import orjson

from services.gateway import db
from services.gateway.settings import Settings
from shared.events import topics
from shared.events.audit import AuditCheckpointSigned
from shared.inbox import BatchHandler, Delivered
from shared.logging import get_logger
from shared.runtime import Subscription
from shared.uow import UnitOfWork

log = get_logger(__name__)


def keep_checkpoints(archive: Path) -> BatchHandler:
    """Store checkpoints in the gateway's table and append the new ones to a file an operator archives.

    The file line is written before the commit; a redelivery after a failed commit may repeat a line,
    which readers ignore (a checkpoint is identified by service and size).
    """

    async def handle(uow: UnitOfWork, batch: list[Delivered]) -> None:
        rows = [d.event.model_dump(mode="python") for d in batch if isinstance(d.event, AuditCheckpointSigned)]
        async with uow:
            new = await db.keep_checkpoints(uow.session, rows)
            if new:
                archive.parent.mkdir(parents=True, exist_ok=True)
                with archive.open("ab") as f:
                    for row in new:
                        f.write(orjson.dumps(row) + b"\n")
                log.info("audit checkpoints kept", count=len(new))

    return handle


def subscriptions(settings: Settings) -> tuple[Subscription, ...]:
    return (
        Subscription(
            name="audit-checkpoints",
            topics=(topics.AUDIT_CHECKPOINT,),
            handlers={AuditCheckpointSigned: keep_checkpoints(Path(settings.audit_checkpoint_file))},
            description="Every service's signed audit checkpoints -> the gateway's table and archive file",
        ),
    )
