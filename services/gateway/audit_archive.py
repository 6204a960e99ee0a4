"""The audit checkpoint archive: every service's signed checkpoints, kept in the gateway's table and a file.

Kept outside each service's database, so a rewrite of a service's trail disagrees with these signed heads.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from services.gateway.db import audit_archive as queries
from shared.events.audit import AuditCheckpointSigned
from shared.inbox import BatchHandler, Delivered
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


async def keep_checkpoints(*, uow: UnitOfWork, checkpoints: list[AuditCheckpointSigned], archive: Path) -> None:
    """Store checkpoints in the gateway's table and append the new ones to a file an operator archives.

    The file line is written before the commit; a redelivery after a failed commit may repeat a line,
    which readers ignore (a checkpoint is identified by service and size).
    """
    rows = [cp.model_dump(mode="python") for cp in checkpoints]
    async with uow:
        new = await queries.keep_checkpoints(uow.session, rows)
        if new:
            archive.parent.mkdir(parents=True, exist_ok=True)
            with archive.open("ab") as f:
                for row in new:
                    f.write(orjson.dumps(row) + b"\n")
            log.info("audit checkpoints kept", count=len(new))


def checkpoint_keeper(archive: Path) -> BatchHandler:
    """The consumer's handler: each batch of checkpoints kept, the new ones appended to `archive`."""

    async def handle(uow: UnitOfWork, batch: list[Delivered[AuditCheckpointSigned]]) -> None:
        await keep_checkpoints(uow=uow, checkpoints=[d.event for d in batch], archive=archive)

    return handle
