"""Gateway's own tables: the development user store, and every service's signed audit checkpoints."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ARRAY, BigInteger, Column, DateTime, Integer, Table, Text, func, select, update
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

# Kept outside each service's database: a rewrite of a service's trail disagrees with these (signed) heads.
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("service", Text, primary_key=True),
    Column("size", BigInteger, primary_key=True),
    Column("head_hash", Text, nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    Column("key_id", Text, nullable=False),
    Column("signature", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


async def keep_checkpoints(session: AsyncSession, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store checkpoints not seen before; returns those that were new (a redelivery adds nothing)."""
    if not rows:
        return []
    stmt = insert(audit_checkpoints).values(rows).on_conflict_do_nothing()
    result = await session.execute(stmt.returning(audit_checkpoints.c.service, audit_checkpoints.c.size))
    new = {(r.service, r.size) for r in result}
    return [r for r in rows if (r["service"], r["size"]) in new]


async def checkpoints(session: AsyncSession, service: str | None = None) -> list[Any]:
    stmt = select(audit_checkpoints).order_by(audit_checkpoints.c.service, audit_checkpoints.c.size)
    if service:
        stmt = stmt.where(audit_checkpoints.c.service == service)
    return list((await session.execute(stmt)).mappings().all())


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
