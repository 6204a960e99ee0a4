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
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

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


async def counters(session: AsyncSession, start: date, end: date) -> dict[tuple[date, str, str, str], int]:
    c = daily_counts.c
    stmt = select(c.day, c.program, c.partner, c.metric, c.value).where(c.day >= start, c.day <= end)
    return {(d, p, pa, m): v for d, p, pa, m, v in (await session.execute(stmt)).all()}


async def distinct_subjects(session: AsyncSession, start: date, end: date) -> dict[tuple[date, str, str], int]:
    c = daily_counts.c
    stmt = select(c.day, c.program, c.partner, c.value).where(c.metric == SUBJECTS_METRIC, c.day >= start, c.day <= end)
    return {(d, p, pa): int(n) for d, p, pa, n in (await session.execute(stmt)).all()}


async def owners(session: AsyncSession, start: date, end: date) -> list[Any]:
    c = owner_counts.c
    stmt = (
        select(c.data_owner, c.metric, func.sum(c.value).label("value"))
        .where(c.day >= start, c.day <= end)
        .group_by(c.data_owner, c.metric)
        .order_by(c.data_owner, c.metric)
    )
    return list((await session.execute(stmt)).all())


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
    """Latest state per request wins, judged by when it changed (replays and reordering are harmless)."""
    latest: dict[Any, dict[str, Any]] = {}
    for r in rows:
        if r["redress_id"] not in latest or r["changed_at"] >= latest[r["redress_id"]]["changed_at"]:
            latest[r["redress_id"]] = r
    if not latest:
        return
    stmt = insert(redress_facts)
    cols = ["source", "status", "received_on", "due_on", "closed_on", "determination", "changed_at"]
    stmt = stmt.on_conflict_do_update(
        index_elements=["redress_id"],
        set_={c: stmt.excluded[c] for c in cols},
        where=redress_facts.c.changed_at <= stmt.excluded.changed_at,
    )
    await session.execute(stmt, list(latest.values()))


async def redress_rows(session: AsyncSession) -> list[dict[str, Any]]:
    return [dict(r) for r in (await session.execute(select(redress_facts))).mappings().all()]
