"""Reporting applies its rows of the retention schedule (`shared/disposal.py` runs them): information bulletins
(analysis: 15 years after the end of the year sent, a draft's clock its last edit) with their iterations, and
stored reports (15 years after the end of the year generated). Its counters hold no record about anyone and
stay. It also keeps the disposal report: every service's `RecordsDisposed` counts, its own included."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.reporting.db import retention as queries
from services.reporting.db import tables
from shared.disposal import ServiceRetention
from shared.events.retention import RecordsDisposed
from shared.inbox import Delivered
from shared.uow import UnitOfWork

RETENTION = ServiceRetention(
    "reporting",
    {
        "bulletin": ("bulletin", queries.due_bulletins, queries.dispose_bulletins),
        "stored-report": ("stored-report", queries.due_stored_reports, queries.dispose_stored_reports),
    },
    tables.metadata,
)


async def disposed(uow: UnitOfWork, delivered: list[Delivered[RecordsDisposed]]) -> None:
    """A service's run, as counts per kind and rule (never an id): added to the disposal report once."""
    async with uow:
        rows = [
            {
                "run_id": d.event.run_id,
                "kind": c.kind,
                "service": d.event.service,
                "rule": c.rule,
                "count": c.count,
                "held": c.held,
                "as_of": d.event.as_of,
                "actor": d.envelope.actor,
            }
            for d in delivered
            for c in d.event.counts
        ]
        await queries.record_disposals(uow.session, rows)


async def report(*, uow: UnitOfWork, since: datetime | None) -> dict[str, Any]:
    """What every service disposed of under each rule (counts only), with the total."""
    async with uow:
        rows = [
            {**r, "count": int(r["count"]), "held": int(r["held"])}  # a SUM is a numeric: counts are integers
            for r in await queries.totals(uow.session, since)
        ]
    return {
        "since": since.isoformat() if since else None,
        "rows": rows,
        "total": sum(r["count"] for r in rows),
        "held": sum(r["held"] for r in rows),
    }
