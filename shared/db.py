"""Async SQLAlchemy engine and sessions per service; each service owns one database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import asyncpg
import orjson
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def _json_dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # orjson for JSONB columns: bulk paths move hundreds of thousands of JSON documents.
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    u = make_url(url).set(drivername="postgresql")
    if database is not None:
        u = u.set(database=database)
    return u.render_as_string(hide_password=False)


async def ensure_database(url: str) -> bool:
    """Create the service's database on its server if missing; True when it was created now."""
    name = make_url(url).database
    if not name:
        raise ValueError("the service database URL names no database")
    conn = await asyncpg.connect(_asyncpg_dsn(url, "postgres"))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        except asyncpg.DuplicateDatabaseError:
            return False  # another replica won the race
        return True
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    name = make_url(url).database
    conn = await asyncpg.connect(_asyncpg_dsn(url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def copy_records(session: AsyncSession, table: str, columns: Sequence[str], records: Iterable[tuple]) -> None:
    """COPY rows into a table inside the session's own transaction: the bulk path (no per-row trips)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(table, records=list(records), columns=list(columns))
