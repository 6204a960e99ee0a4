"""Redress's own tables: requests and their work. Imported records are found through cases (no copy here);
a linked record is kept as its encounter id with the officer's note."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Table,
    Text,
    Uuid,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.runtime import service_metadata

metadata, outbox, inbox = service_metadata()

requests = Table(
    "redress_requests",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("source", Text, nullable=False),
    Column("trip_number", Text),
    Column("channel", Text),
    Column("sent_on", Date, nullable=False),
    Column("received_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("requester", JSONB, nullable=False),
    Column("submitting_agency", Text, nullable=False),
    Column("contested_information", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("reviewers", ARRAY(Text), nullable=False, server_default="{}"),
    Column("determination", Text),
    Column("response", JSONB),
    Column("first_action_at", DateTime(timezone=True)),
    Column("review_started_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("reopened_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False),
    # A TRIP number names one redress case; a concurrent duplicate loses at the database too.
    Index("uq_redress_trip_number", "trip_number", unique=True, postgresql_where=text("trip_number IS NOT NULL")),
)

timeline = Table(
    "redress_timeline",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("redress_id", Uuid, ForeignKey("redress_requests.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("detail", JSONB, nullable=False),
)

links = Table(
    "linked_records",
    metadata,
    Column("redress_id", Uuid, ForeignKey("redress_requests.id"), primary_key=True),
    Column("encounter_id", Uuid, primary_key=True),
    Column("note", Text, nullable=False),
    Column("linked_by", Text, nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

findings = Table(
    "search_findings",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("redress_id", Uuid, ForeignKey("redress_requests.id"), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

corrections = Table(
    "corrections",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("redress_id", Uuid, ForeignKey("redress_requests.id"), nullable=False, index=True),
    Column("encounter_id", Uuid, nullable=False),
    Column("field", Text, nullable=False),
    Column("problem", Text, nullable=False),
    Column("proposed", Text, nullable=False),
    Column("data_owner", Text, nullable=False),
    Column("decision", Text, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("decided_by", Text),
    Column("decided_at", DateTime(timezone=True)),
)


async def by_trip_number(session: AsyncSession, trip_number: str) -> Any:
    stmt = select(requests.c.id).where(requests.c.trip_number == trip_number)
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_request(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(requests.insert().values(**row))


async def get_request(session: AsyncSession, redress_id: uuid.UUID, *, for_update: bool = False) -> Any:
    stmt = select(requests).where(requests.c.id == redress_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def update_request(session: AsyncSession, redress_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(requests).where(requests.c.id == redress_id).values(**values, updated_at=func.now()))


async def list_requests(
    session: AsyncSession,
    *,
    status: str | None,
    overdue_on: date | None,
    limit: int,
    offset: int,
    encounters: list[uuid.UUID] | None = None,
) -> list[Any]:
    stmt = select(requests).order_by(requests.c.due_on, requests.c.id).limit(limit).offset(offset)
    if encounters:
        stmt = stmt.where(requests.c.id.in_(select(links.c.redress_id).where(links.c.encounter_id.in_(encounters))))
    if status:
        stmt = stmt.where(requests.c.status == status)
    if overdue_on is not None:
        stmt = stmt.where(requests.c.status != "closed", requests.c.due_on < overdue_on)
    return list((await session.execute(stmt)).mappings().all())


async def add_event(session: AsyncSession, redress_id: uuid.UUID, actor: str, action: str, detail: dict) -> None:
    await session.execute(
        timeline.insert().values(id=uuid.uuid4(), redress_id=redress_id, actor=actor, action=action, detail=detail)
    )


async def events(session: AsyncSession, redress_id: uuid.UUID) -> list[Any]:
    stmt = select(timeline).where(timeline.c.redress_id == redress_id).order_by(timeline.c.at, timeline.c.id)
    return list((await session.execute(stmt)).mappings().all())


async def insert_correction(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(corrections.insert().values(**row))


async def get_correction(session: AsyncSession, redress_id: uuid.UUID, correction_id: uuid.UUID) -> Any:
    stmt = select(corrections).where(corrections.c.id == correction_id, corrections.c.redress_id == redress_id)
    return (await session.execute(stmt.with_for_update())).mappings().first()


async def set_decision(session: AsyncSession, correction_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(corrections).where(corrections.c.id == correction_id).values(**values))


async def request_corrections(session: AsyncSession, redress_id: uuid.UUID) -> list[Any]:
    stmt = select(corrections).where(corrections.c.redress_id == redress_id).order_by(corrections.c.recorded_at)
    return list((await session.execute(stmt)).mappings().all())


async def link(session: AsyncSession, row: dict[str, Any]) -> bool:
    result = await session.execute(insert(links).values(**row).on_conflict_do_nothing().returning(links.c.encounter_id))
    return result.first() is not None


async def request_links(session: AsyncSession, redress_id: uuid.UUID) -> list[Any]:
    stmt = select(links).where(links.c.redress_id == redress_id).order_by(links.c.linked_at)
    return list((await session.execute(stmt)).mappings().all())


async def insert_finding(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(findings.insert().values(**row))


async def request_findings(session: AsyncSession, redress_id: uuid.UUID) -> list[Any]:
    stmt = select(findings).where(findings.c.redress_id == redress_id).order_by(findings.c.recorded_at)
    return list((await session.execute(stmt)).mappings().all())


async def overdue_by_source(session: AsyncSession, *, today: date) -> dict[str, int]:
    """Open requests past their due date per source (the same rule as domain.is_overdue)."""
    stmt = (
        select(requests.c.source, func.count())
        .where(requests.c.status != "closed", requests.c.due_on < today)
        .group_by(requests.c.source)
    )
    return {source: n for source, n in (await session.execute(stmt)).all()}
