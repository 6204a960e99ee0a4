"""Reporting use cases: fold events into counters; read them back."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.reporting import db, domain
from shared.errors import Invalid
from shared.inbox import Delivered
from shared.uow import UnitOfWork


async def count_events(uow: UnitOfWork, delivered: list[Delivered]) -> None:
    """Bump the day/program counters for a batch of events in one statement."""
    items = [i for d in delivered for i in domain.increments(d.envelope, d.event)]
    async with uow:
        await db.add_counts(uow.session, domain.merge(items))


async def daily_counts(*, uow: UnitOfWork, start: date, end: date) -> list[dict[str, Any]]:
    if end < start:
        raise Invalid("'to' is before 'from'")
    async with uow:
        return [dict(r) for r in await db.daily(uow.session, start, end)]
