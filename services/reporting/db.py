"""Reporting's own tables: aggregates only (no names, dates of birth, identifiers or free text about people)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting import domain
from shared.runtime import service_metadata

metadata, outbox, inbox = service_metadata()

daily_counts = Table(
    "daily_counts",
    metadata,
    Column("day", Date, nullable=False),
    Column("program", Text, nullable=False),
    Column("partner", Text, nullable=False),
    Column("metric", Text, nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "program", "partner", "metric"),
    # The DOSR reads matches per partner for its weeks: an index-only scan of just those counters.
    Index(
        "ix_daily_counts_matches",
        "day",
        "program",
        postgresql_include=["partner", "value"],
        postgresql_where=text("metric = 'matches'"),
    ),
)

# The same counters summed over partners: what the DOSR's daily and weekly tables and the EPR read.
program_days = Table(
    "program_days",
    metadata,
    Column("day", Date, nullable=False),
    Column("program", Text, nullable=False),
    Column("metric", Text, nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "program", "metric"),
)

owner_counts = Table(
    "owner_counts",
    metadata,
    Column("day", Date, nullable=False),
    Column("data_owner", Text, nullable=False),
    Column("metric", Text, nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "data_owner", "metric"),
)

# Distinct subjects per day/program/partner, as keyed digests (not reversible to a person).
subject_days = Table(
    "subject_days",
    metadata,
    Column("day", Date, nullable=False),
    Column("program", Text, nullable=False),
    Column("partner", Text, nullable=False),
    Column("digest", LargeBinary, nullable=False),
    PrimaryKeyConstraint("day", "program", "partner", "digest"),
)

# One row per redress request: its id (internal, not the requester), source, dates and outcome.
redress_facts = Table(
    "redress_facts",
    metadata,
    Column("redress_id", Uuid, primary_key=True),
    Column("source", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("received_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("closed_on", Date),
    Column("determination", Text),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Index("ix_redress_facts_received_on", "received_on"),
    Index("ix_redress_facts_closed_on", "closed_on"),
)

# Redress requests counted by the day received and the day closed (closed_days: days from receipt to closure
# summed; closed_within: closed by the due date), kept in step with redress_facts by `record_redress`.
redress_days = Table(
    "redress_days",
    metadata,
    Column("day", Date, nullable=False),
    Column("metric", Text, nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "metric"),
)

bulletins = Table(
    "bulletins",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("case_summary", Text, nullable=False),
    Column("services_provided", Text, nullable=False),
    Column("outcome", Text, nullable=False, server_default=""),
    Column("author", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    Column("approved_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False),
)


async def add_counts(session: AsyncSession, totals: dict[tuple[date, str, str, str], int]) -> None:
    if not totals:
        return
    stmt = insert(daily_counts)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "program", "partner", "metric"],
        set_={"value": daily_counts.c.value + stmt.excluded.value},
    )
    rows = [
        {"day": d, "program": p, "partner": c, "metric": m, "value": v} for (d, p, c, m), v in sorted(totals.items())
    ]
    await session.execute(stmt, rows)
    by_program: dict[tuple[date, str, str], int] = {}
    for (d, p, _c, m), v in totals.items():
        by_program[(d, p, m)] = by_program.get((d, p, m), 0) + v
    rollup = insert(program_days)
    rollup = rollup.on_conflict_do_update(
        index_elements=["day", "program", "metric"], set_={"value": program_days.c.value + rollup.excluded.value}
    )
    await session.execute(
        rollup, [{"day": d, "program": p, "metric": m, "value": v} for (d, p, m), v in sorted(by_program.items())]
    )


async def add_owner_counts(session: AsyncSession, totals: dict[tuple[date, str, str], int]) -> None:
    if not totals:
        return
    stmt = insert(owner_counts)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "data_owner", "metric"], set_={"value": owner_counts.c.value + stmt.excluded.value}
    )
    await session.execute(
        stmt, [{"day": d, "data_owner": o, "metric": m, "value": v} for (d, o, m), v in sorted(totals.items())]
    )


SUBJECTS_METRIC = "distinct_subjects"


async def add_subjects(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Record subject digests; each digest new for its day/program/partner also bumps a counter, so reports
    read a few counters instead of scanning every digest."""
    if not rows:
        return
    unique = list({(r["day"], r["program"], r["partner"], r["digest"]): r for r in rows}.values())
    c = subject_days.c
    stmt = insert(subject_days).on_conflict_do_nothing().returning(c.day, c.program, c.partner)
    new: dict[tuple[Any, str, str, str], int] = {}
    for day, program, partner in (await session.execute(stmt, unique)).all():
        key = (day, program, partner, SUBJECTS_METRIC)
        new[key] = new.get(key, 0) + 1
    await add_counts(session, new)


async def program_counters(
    session: AsyncSession, start: date, end: date, metrics: tuple[str, ...]
) -> dict[tuple[date, str, str], int]:
    """(day, program, metric) -> value, summed over partners."""
    c = program_days.c
    stmt = select(c.day, c.program, c.metric, c.value).where(c.day >= start, c.day <= end, c.metric.in_(metrics))
    return {(d, p, m): int(v) for d, p, m, v in (await session.execute(stmt)).all()}


PARTNER_MATCHES = text(
    """
    SELECT day, program, array_agg(partner), array_agg(value) FROM daily_counts
    WHERE metric = 'matches' AND day BETWEEN :start AND :end GROUP BY day, program
    """
)


async def partner_matches(session: AsyncSession, start: date, end: date) -> dict[tuple[date, str, str], int]:
    """(day, program, partner) -> matches; one row per day and program on the wire (a year is 60,000 counters)."""
    out: dict[tuple[date, str, str], int] = {}
    rows = (await session.execute(PARTNER_MATCHES, {"start": start, "end": end})).all()
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


async def insert_bulletin(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(bulletins.insert().values(**row))


async def get_bulletin(session: AsyncSession, bulletin_id: uuid.UUID, *, for_update: bool = False) -> Any:
    stmt = select(bulletins).where(bulletins.c.id == bulletin_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def list_bulletins(session: AsyncSession, status: str | None, limit: int, offset: int) -> list[Any]:
    stmt = select(bulletins).order_by(bulletins.c.created_at.desc(), bulletins.c.id).limit(limit).offset(offset)
    if status:
        stmt = stmt.where(bulletins.c.status == status)
    return list((await session.execute(stmt)).mappings().all())


async def update_bulletin(session: AsyncSession, bulletin_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        update(bulletins).where(bulletins.c.id == bulletin_id).values(**values, updated_at=func.now())
    )


async def delete_bulletin(session: AsyncSession, bulletin_id: uuid.UUID) -> None:
    await session.execute(delete(bulletins).where(bulletins.c.id == bulletin_id))


async def record_redress(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Latest state per request wins, judged by when it changed (replays and reordering are harmless); the
    day counters move from the request's previous state to its new one in the same transaction."""
    latest: dict[Any, dict[str, Any]] = {}
    for r in rows:
        if r["redress_id"] not in latest or r["changed_at"] >= latest[r["redress_id"]]["changed_at"]:
            latest[r["redress_id"]] = r
    if not latest:
        return
    c = redress_facts.c
    current = {
        row.redress_id: row._mapping
        for row in await session.execute(
            select(c.redress_id, c.received_on, c.due_on, c.closed_on, c.changed_at)
            .where(c.redress_id.in_(list(latest)))
            .order_by(c.redress_id)
            .with_for_update()
        )
    }
    deltas: dict[tuple[date, str], int] = {}
    changed = []
    for redress_id, new in latest.items():
        old = current.get(redress_id)
        if old is not None and old["changed_at"] > new["changed_at"]:
            continue  # an earlier step arriving late changes nothing
        for sign, fact in ((1, new), (-1, old)):
            for key, n in (domain.redress_counts(fact) if fact is not None else {}).items():
                deltas[key] = deltas.get(key, 0) + sign * n
        changed.append(new)
    if not changed:
        return
    stmt = insert(redress_facts)
    cols = ["source", "status", "received_on", "due_on", "closed_on", "determination", "changed_at"]
    stmt = stmt.on_conflict_do_update(
        index_elements=["redress_id"],
        set_={col: stmt.excluded[col] for col in cols},
        where=redress_facts.c.changed_at <= stmt.excluded.changed_at,
    )
    await session.execute(stmt, changed)
    rows_out = [{"day": d, "metric": m, "value": v} for (d, m), v in sorted(deltas.items()) if v]
    if rows_out:
        up = insert(redress_days)
        up = up.on_conflict_do_update(
            index_elements=["day", "metric"], set_={"value": redress_days.c.value + up.excluded.value}
        )
        await session.execute(up, rows_out)
