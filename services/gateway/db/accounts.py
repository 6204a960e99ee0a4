"""Queries of the user store: add or reset a login, list them; a password hash is never read back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.db.tables import users

_SHOWN = [c for c in users.c if c.name != "password_hash"]


async def user(session: AsyncSession, username: str) -> Any:
    return (await session.execute(select(*_SHOWN).where(users.c.username == username))).mappings().first()


async def list_users(session: AsyncSession) -> list[Any]:
    return list((await session.execute(select(*_SHOWN).order_by(users.c.username))).mappings().all())


async def upsert_user(session: AsyncSession, row: dict[str, Any]) -> None:
    """Insert a login, or reset the password, roles and programs of an existing one (development seeding)."""
    stmt = insert(users).values(**row)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["username"],
            set_={
                "password_hash": stmt.excluded.password_hash,
                "roles": stmt.excluded.roles,
                "programs": stmt.excluded.programs,
            },
        )
    )
