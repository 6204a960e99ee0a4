"""Information bulletins: drafted, edited while draft, sent to the Executive Secretariat, approved."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from services.reporting import domain
from services.reporting.db import bulletins as queries
from shared.errors import NotFound
from shared.uow import UnitOfWork


async def create_bulletin(*, uow: UnitOfWork, fields: dict[str, str]) -> uuid.UUID:
    """A new information bulletin, in draft; its author is the only personal name it carries."""
    bulletin_id = uuid.uuid4()
    async with uow:
        await queries.insert_bulletin(
            uow.session,
            {
                "id": bulletin_id,
                **fields,
                "author": uow.actor,
                "status": domain.BulletinStatus.DRAFT,
                "updated_by": uow.actor,
            },
        )
    return bulletin_id


async def get_bulletin(*, uow: UnitOfWork, bulletin_id: uuid.UUID) -> dict[str, Any]:
    """One bulletin, as its readers and its author see it."""
    async with uow:
        row = await queries.get_bulletin(uow.session, bulletin_id)
    if row is None:
        raise NotFound(f"no bulletin {bulletin_id}")
    return dict(row)


async def list_bulletins(*, uow: UnitOfWork, status: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    """Bulletins, newest first, optionally at one step of their workflow."""
    async with uow:
        return [dict(r) for r in await queries.list_bulletins(uow.session, status, limit, offset)]


async def edit_bulletin(*, uow: UnitOfWork, bulletin_id: uuid.UUID, fields: dict[str, str]) -> None:
    """Only a draft changes: what was sent to the Secretariat stays as it was sent."""
    async with uow:
        row = await _locked(uow, bulletin_id)
        domain.check_editable(row["status"])
        if fields:
            await queries.update_bulletin(uow.session, bulletin_id, **fields, updated_by=uow.actor)


async def delete_bulletin(*, uow: UnitOfWork, bulletin_id: uuid.UUID) -> None:
    """Only a draft is deleted: a sent or approved bulletin is a record."""
    async with uow:
        row = await _locked(uow, bulletin_id)
        domain.check_editable(row["status"])
        await queries.delete_bulletin(uow.session, bulletin_id)


async def advance_bulletin(*, uow: UnitOfWork, bulletin_id: uuid.UUID, action: str) -> None:
    """Send to the Executive Secretariat, or record its approval; each step is dated."""
    async with uow:
        row = await _locked(uow, bulletin_id)
        status, stamp = domain.bulletin_transition(action, row["status"])
        await queries.update_bulletin(
            uow.session, bulletin_id, status=status, updated_by=uow.actor, **{stamp: datetime.now(UTC)}
        )


async def _locked(uow: UnitOfWork, bulletin_id: uuid.UUID) -> Any:
    row = await queries.get_bulletin(uow.session, bulletin_id, for_update=True)
    if row is None:
        raise NotFound(f"no bulletin {bulletin_id}")
    return row
