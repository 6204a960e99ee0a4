"""Queries of reports.py: the counters a report reads for the whole weeks or years around its period."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.db.tables import owner_counts, program_days, redress_days, redress_facts


async def program_counters(
    session: AsyncSession, start: date, end: date, metrics: tuple[str, ...]
) -> dict[tuple[date, str, str], int]:
    """(day, program, metric) -> value, summed over partners."""
    c = program_days.c
    stmt = select(c.day, c.program, c.metric, c.value).where(c.day >= start, c.day <= end, c.metric.in_(metrics))
    return {(d, p, m): int(v) for d, p, m, v in (await session.execute(stmt)).all()}


PARTNER_COUNTS = text(
    """
    SELECT day, program, array_agg(partner), array_agg(value) FROM daily_counts
    WHERE metric = :metric AND day BETWEEN :start AND :end GROUP BY day, program
    """
)


async def partner_matches(
    session: AsyncSession, start: date, end: date, metric: str = "matches"
) -> dict[tuple[date, str, str], int]:
    """(day, program, partner) -> matches (or `metric`, e.g. kst_matches); one row per day and program on the
    wire (a year is 60,000 counters)."""
    out: dict[tuple[date, str, str], int] = {}
    rows = (await session.execute(PARTNER_COUNTS, {"start": start, "end": end, "metric": metric})).all()
    for day, program, partners, values in rows:
        for partner, value in zip(partners, values, strict=True):
            out[(day, program, partner)] = value
    return out


async def owners(session: AsyncSession, start: date, end: date) -> dict[tuple[date, str, str], int]:
    """(day, data owner, metric) -> value."""
    c = owner_counts.c
    stmt = select(c.day, c.data_owner, c.metric, c.value).where(c.day >= start, c.day <= end)
    return {(d, o, m): int(v) for d, o, m, v in (await session.execute(stmt)).all()}


async def redress_counts(session: AsyncSession, start: date, end: date) -> dict[tuple[date, str], int]:
    """(day, received|closed|closed_days|closed_within) -> value: counts by the day received or closed."""
    c = redress_days.c
    stmt = select(c.day, c.metric, c.value).where(c.day >= start, c.day <= end)
    return {(d, m): int(v) for d, m, v in (await session.execute(stmt)).all()}


async def redress_before(session: AsyncSession, start: date) -> dict[int, tuple[int, int]]:
    """Year -> (received, closed) for every year before `start`: what the backlog carries in."""
    c = redress_days.c
    year = func.extract("year", c.day).label("year")
    stmt = (
        select(year, c.metric, func.sum(c.value))
        .where(c.day < start, c.metric.in_(("received", "closed")))
        .group_by(year, c.metric)
    )
    out: dict[int, list[int]] = {}
    for y, metric, value in (await session.execute(stmt)).all():
        out.setdefault(int(y), [0, 0])[0 if metric == "received" else 1] += int(value)
    return {y: (r, c) for y, (r, c) in out.items()}


async def closing_histograms(session: AsyncSession, start: date, end: date) -> dict[str, dict[int, int]]:
    """Month -> days from receipt to closure -> requests, for the requests closed within [start, end]."""
    c = redress_facts.c
    month, days = func.to_char(c.closed_on, "YYYY-MM"), c.closed_on - c.received_on
    stmt = select(month, days, func.count()).where(c.closed_on >= start, c.closed_on <= end).group_by(month, days)
    out: dict[str, dict[int, int]] = {}
    for m, d, n in (await session.execute(stmt)).all():
        out.setdefault(m, {})[int(d)] = int(n)
    return out
