"""Gateway's own tables: the development user store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ARRAY, Column, DateTime, Integer, Table, Text, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.runtime import service_metadata

metadata, outbox, inbox = service_metadata()
audit_trail = metadata.tables["audit_trail"]

users = Table(
    "users",
    metadata,
    Column("username", Text, primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("roles", ARRAY(Text), nullable=False),
    Column("programs", ARRAY(Text), nullable=False),
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime(timezone=True)),
    Column("last_login_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False, server_default="system"),
)


async def get_user(session: AsyncSession, username: str) -> Any:
    return (
        (await session.execute(select(users).where(users.c.username == username).with_for_update())).mappings().first()
    )


async def update_user(session: AsyncSession, username: str, *, updated_by: str, **values: Any) -> None:
    stmt = update(users).where(users.c.username == username)
    await session.execute(stmt.values(updated_at=func.now(), updated_by=updated_by, **values))


async def upsert_user(session: AsyncSession, row: dict[str, Any]) -> None:
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


async def list_users(session: AsyncSession) -> list[Any]:
    columns = [c for c in users.c if c.name != "password_hash"]
    return list((await session.execute(select(*columns).order_by(users.c.username))).mappings().all())
