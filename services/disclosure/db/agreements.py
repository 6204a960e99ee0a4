"""The statements of the agreement use cases: agreements, their append-only versions, their recipients."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.disclosure.db.tables import VERSION_FIELDS, agreement_versions, agreements, recipients


async def agreement_by_name(session: AsyncSession, name: str) -> Any:
    return (await session.execute(select(agreements).where(agreements.c.name == name))).mappings().first()


async def insert_agreement(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(agreements.insert().values(**row))


async def insert_version(
    session: AsyncSession, *, agreement_id: uuid.UUID, version: int, terms: dict[str, Any], note: str, actor: str
) -> None:
    """A new version row: the agreement's terms as given, with who changed them and why."""
    row = {k: terms[k] for k in VERSION_FIELDS if k in terms}  # a term left out takes its column's default
    row["approvals_required"] = terms.get("approvals_required", 1)  # terms written before the rule: one
    await session.execute(
        agreement_versions.insert().values(
            agreement_id=agreement_id, version=version, **row, change_note=note, changed_by=actor
        )
    )


async def lock_agreement(session: AsyncSession, agreement_id: uuid.UUID) -> Any:
    stmt = select(agreements).where(agreements.c.id == agreement_id).with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def version(session: AsyncSession, agreement_id: uuid.UUID, number: int) -> Any:
    v = agreement_versions.c
    stmt = select(agreement_versions).where(v.agreement_id == agreement_id, v.version == number)
    return (await session.execute(stmt)).mappings().first()


async def open_draft(session: AsyncSession, agreement_id: uuid.UUID) -> Any:
    v = agreement_versions.c
    stmt = select(agreement_versions).where(v.agreement_id == agreement_id, v.status == "draft")
    return (await session.execute(stmt.limit(1))).mappings().first()


async def review_version(
    session: AsyncSession, agreement_id: uuid.UUID, number: int, *, status: str, reviewer: str, note: str
) -> None:
    v = agreement_versions.c
    await session.execute(
        update(agreement_versions)
        .where(v.agreement_id == agreement_id, v.version == number)
        .values(status=status, reviewed_by=reviewer, reviewed_at=func.now(), review_note=note)
    )


async def set_status(session: AsyncSession, agreement_id: uuid.UUID, number: int, status: str) -> None:
    v = agreement_versions.c
    stmt = update(agreement_versions).where(v.agreement_id == agreement_id, v.version == number)
    await session.execute(stmt.values(status=status))


async def set_approved_version(session: AsyncSession, agreement_id: uuid.UUID, number: int, actor: str) -> None:
    stmt = update(agreements).where(agreements.c.id == agreement_id)
    await session.execute(stmt.values(approved_version=number, updated_at=func.now(), updated_by=actor))


async def set_current_version(session: AsyncSession, agreement_id: uuid.UUID, version: int, actor: str) -> None:
    stmt = update(agreements).where(agreements.c.id == agreement_id)
    await session.execute(stmt.values(current_version=version, updated_at=func.now(), updated_by=actor))


def _current() -> Select[Any]:
    a, v = agreements, agreement_versions
    return select(a.c.id, a.c.name, a.c.created_at, a.c.created_by, a.c.approved_version, v).join(
        v, (v.c.agreement_id == a.c.id) & (v.c.version == a.c.current_version)
    )


async def current_agreements(session: AsyncSession) -> list[Any]:
    return list((await session.execute(_current().order_by(agreements.c.name))).mappings().all())


async def current_agreement(session: AsyncSession, agreement_id: uuid.UUID) -> Any:
    return (await session.execute(_current().where(agreements.c.id == agreement_id))).mappings().first()


async def versions(session: AsyncSession, agreement_id: uuid.UUID) -> list[Any]:
    stmt = (
        select(agreement_versions)
        .where(agreement_versions.c.agreement_id == agreement_id)
        .order_by(agreement_versions.c.version)
    )
    return list((await session.execute(stmt)).mappings().all())


async def insert_recipient(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(recipients.insert().values(**row))


async def recipient_for_update(session: AsyncSession, agreement_id: uuid.UUID, recipient_id: uuid.UUID) -> Any:
    r = recipients.c
    stmt = select(recipients).where(r.id == recipient_id, r.agreement_id == agreement_id).with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def retire_recipient(session: AsyncSession, recipient_id: uuid.UUID, *, by: str, reason: str) -> None:
    await session.execute(
        recipients.update()
        .where(recipients.c.id == recipient_id)
        .values(retired_at=func.now(), retired_by=by, retired_reason=reason)
    )


async def agreement_recipients(session: AsyncSession, agreement_id: uuid.UUID) -> list[Any]:
    stmt = select(recipients).where(recipients.c.agreement_id == agreement_id).order_by(recipients.c.created_at)
    return list((await session.execute(stmt)).mappings().all())
