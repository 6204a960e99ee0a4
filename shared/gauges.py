"""Gauges read from a service's own database on a timer, so they stay true when its loops are stuck.

The relay sets the backlog as it publishes, but a relay that cannot reach the broker never gets there; a
sampler that only reads the database still reports how old the waiting rows are. Every replica samples (a
read, no lock), and the alert rules take the largest report per service.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from prometheus_client import Gauge
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.logging import get_logger
from shared.messaging_tables import pending_of
from shared.metrics import (
    AUDIT_SEQUENCER_LAG,
    AUDIT_UNSEQUENCED,
    DLQ_PENDING,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_SECONDS,
)

log = get_logger(__name__)

Sampler = Callable[[AsyncSession], Awaitable[None]]


async def sample_outbox(session: AsyncSession, outbox: Table) -> None:
    """Unpublished rows and the age of the oldest (rows wait in id order, so the oldest goes first)."""
    p = pending_of(outbox)
    count, oldest = (
        await session.execute(select(func.count(), func.extract("epoch", func.now() - func.min(p.c.created_at))))
    ).one()
    OUTBOX_BACKLOG.set(count or 0)
    OUTBOX_OLDEST_SECONDS.set(max(0.0, float(oldest or 0)))


async def sample_audit(session: AsyncSession, audit_trail: Table) -> None:
    """Entries appended but not yet linked by the sequencer, and how long the oldest has waited (its partial
    index makes this a small read however long the trail is)."""
    a = audit_trail.c
    count, oldest = (
        await session.execute(
            select(func.count(), func.extract("epoch", func.now() - func.min(a.at))).where(a.seq.is_(None))
        )
    ).one()
    AUDIT_UNSEQUENCED.set(count or 0)
    AUDIT_SEQUENCER_LAG.set(max(0.0, float(oldest or 0)))


async def sample_dlq_pending(session: AsyncSession, inbox: Table, consumers: Sequence[str]) -> None:
    """Events each subscription dead-lettered and nobody handled yet: `tracs dlq replay` removes the inbox
    row (the replayed event then applies as new), `tracs dlq drop` marks it `dropped`."""
    rows = (
        await session.execute(
            select(inbox.c.consumer, func.count())
            .where(inbox.c.status == "dead-lettered", inbox.c.consumer.in_(list(consumers)))
            .group_by(inbox.c.consumer)
        )
    ).all()
    counts = dict(rows)
    for name in consumers:
        DLQ_PENDING.labels(name).set(counts.get(name, 0))


def set_labelled(gauge: Gauge, label: str, values: dict[str, float], known: Sequence[str]) -> None:
    """Set one labelled gauge per value; labels known but absent now read 0 rather than their last value."""
    for name in {*known, *values}:
        gauge.labels(**{label: name}).set(values.get(name, 0))


async def run_samplers(
    sessions: async_sessionmaker[AsyncSession], samplers: Sequence[Sampler], *, interval: float
) -> None:
    """Run every sampler in one short read-only session each `interval` seconds; a failure waits a turn."""
    while True:
        try:
            async with sessions() as session:
                for sample in samplers:
                    await sample(session)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("metrics sampling failed; will retry", error=type(exc).__name__)
        await asyncio.sleep(interval)
