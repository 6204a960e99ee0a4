"""Queries of the user store: add or reset a login, change one, list them; a password hash is never read back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.db.tables import audit_trail, users
from shared import audit

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
                **(
                    {"training_completed_on": stmt.excluded.training_completed_on}
                    if "training_completed_on" in row
                    else {}
                ),
            },
        )
    )


async def update_user(session: AsyncSession, username: str, *, updated_by: str, **values: Any) -> None:
    stmt = update(users).where(users.c.username == username)
    await session.execute(stmt.values(updated_at=func.now(), updated_by=updated_by, **values))


async def record(session: AsyncSession, entries: list[audit.Entry]) -> None:
    """Append to the gateway's own trail in the change's transaction."""
    await audit.append(session, audit_trail, entries)
