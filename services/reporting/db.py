"""Reporting's own tables: aggregates only (no names, dates of birth, identifiers or free text)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Column, Date, PrimaryKeyConstraint, Table, Text, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.runtime import service_metadata

metadata, outbox, inbox = service_metadata()

daily_counts = Table(
    "daily_counts",
    metadata,
    Column("day", Date, nullable=False),
    Column("program", Text, nullable=False),
    Column("metric", Text, nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "program", "metric"),
)


async def add_counts(session: AsyncSession, totals: dict[tuple[date, str, str], int]) -> None:
    if not totals:
        return
    stmt = insert(daily_counts)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "program", "metric"],
        set_={"value": daily_counts.c.value + stmt.excluded.value},
    )
    await session.execute(
        stmt, [{"day": d, "program": p, "metric": m, "value": v} for (d, p, m), v in sorted(totals.items())]
    )


async def daily(session: AsyncSession, start: date, end: date) -> list[Any]:
    stmt = (
        select(daily_counts)
        .where(daily_counts.c.day >= start, daily_counts.c.day <= end)
        .order_by(daily_counts.c.day, daily_counts.c.program, daily_counts.c.metric)
    )
    return list((await session.execute(stmt)).mappings().all())
