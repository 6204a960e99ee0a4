"""Information bulletins: drafted, edited while draft (every iteration kept with its author and date), sent to
the Executive Secretariat, approved (who sent it and who recorded the approval kept)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from services.reporting import domain
from services.reporting.db import bulletins as queries
from shared.errors import NotFound
from shared.uow import UnitOfWork

TEXT = ("title", "description", "case_summary", "services_provided", "outcome")


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
        await queries.add_iteration(uow.session, bulletin_id, _text({"outcome": "", **fields}), uow.actor)
    return bulletin_id


def _text(row: Any) -> dict[str, Any]:
    return {k: row[k] for k in TEXT}


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
            await queries.add_iteration(uow.session, bulletin_id, _text({**dict(row), **fields}), uow.actor)


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
        who = {"sent_at": "sent_by", "approved_at": "approved_by"}[stamp]
        await queries.update_bulletin(
            uow.session, bulletin_id, status=status, updated_by=uow.actor, **{stamp: datetime.now(UTC), who: uow.actor}
        )


async def iterations(*, uow: UnitOfWork, bulletin_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every iteration of a bulletin, first to last, each with who wrote it and when."""
    async with uow:
        if await queries.get_bulletin(uow.session, bulletin_id) is None:
            raise NotFound(f"no bulletin {bulletin_id}")
        return [dict(r) for r in await queries.iterations(uow.session, bulletin_id)]


async def _locked(uow: UnitOfWork, bulletin_id: uuid.UUID) -> Any:
    row = await queries.get_bulletin(uow.session, bulletin_id, for_update=True)
    if row is None:
        raise NotFound(f"no bulletin {bulletin_id}")
    return row
