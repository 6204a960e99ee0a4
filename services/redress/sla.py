"""The SLA watch: a request about to breach its due date is announced once (RedressSlaNearing), so the gateway
can tell whoever works it. A new due date (a reopened request) is announced again."""

from __future__ import annotations

from datetime import date, timedelta

from services.redress.db import sla as queries
from shared.events.redress import RedressSlaNearing
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


def due_by(today: date, warning_days: int) -> date:
    """The last due date counted as "about to breach" today (an overdue one is too)."""
    return today + timedelta(days=warning_days)


async def announce_nearing(*, uow: UnitOfWork, today: date, warning_days: int, limit: int = 500) -> int:
    async with uow:
        rows = await queries.nearing(uow.session, due_by=due_by(today, warning_days), limit=limit)
        for row in rows:
            uow.emit(
                RedressSlaNearing(
                    redress_id=row["id"],
                    due_on=row["due_on"],
                    reviewers=list(row["reviewers"] or []),
                    opened_by=row["created_by"],
                )
            )
        await queries.mark_warned(uow.session, rows)
    if rows:
        log.info("redress SLA nearing announced", count=len(rows))
    return len(rows)
