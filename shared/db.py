"""Async SQLAlchemy engine and sessions per service; each service owns one database."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

import asyncpg
import orjson
from sqlalchemy import ARRAY, JSON, Table, all_, any_, bindparam, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.types import TypeEngine

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def _json_dumps(value: object) -> str:
    return orjson.dumps(value).decode()


IDLE_PING_SECONDS = 1.0


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # orjson for JSONB columns: bulk paths move hundreds of thousands of JSON documents.
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection before use only if it sat idle (a restarted server drops it).

    SQLAlchemy's `pool_pre_ping` costs three round trips on every checkout (BEGIN, a ping, ROLLBACK on
    asyncpg): a sixth of a lookup's CPU. A connection handed back a moment ago is alive; one that fails
    anyway invalidates the pool (SQLAlchemy's disconnect handling) and the caller retries.
    """
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if time.monotonic() - record.info.get("returned_at", 0.0) < IDLE_PING_SECONDS:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise DisconnectionError("the pooled connection is gone") from exc


class WriteAwareSession(Session):
    """Notes in `info["may_write"]` that a statement other than a SELECT ran (or a COPY): a unit of work
    that only read then skips the round trip that asks PostgreSQL whether its transaction wrote anything."""


@event.listens_for(WriteAwareSession, "do_orm_execute")
def _note_writes(state: ORMExecuteState) -> None:
    if not state.is_select:  # INSERT, UPDATE, DELETE and any text() statement
        state.session.info["may_write"] = True


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=WriteAwareSession)


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
        except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
            # Another replica won the race: PostgreSQL says so either way, depending on when the two met
            # (the catalog's unique index answers when both got past the existence check at once).
            return False
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


def _with_json(record: tuple, positions: list[int]) -> tuple:
    out = list(record)
    for i in positions:
        if out[i] is not None:
            out[i] = _json_dumps(out[i])
    return tuple(out)


async def copy_records(session: AsyncSession, table: str, columns: Sequence[str], records: Iterable[tuple]) -> None:
    """COPY rows into a table inside the session's own transaction: the bulk path (no per-row trips)."""
    session.info["may_write"] = True
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    try:
        await raw.driver_connection.copy_records_to_table(table, records=list(records), columns=list(columns))
    except asyncpg.PostgresError as exc:
        # The driver's own error, raised past SQLAlchemy: wrap it as every other statement's error is, so
        # callers (a row refused by the database, a transient failure) handle COPY like any statement.
        raise DBAPIError(f"COPY {table}", None, exc) from exc


def any_array(values: Sequence[Any], item_type: type[TypeEngine[Any]] | TypeEngine[Any]) -> Any:
    """`= ANY($1)` with one array parameter: `IN (...)` renders a parameter per value, costly for thousands."""
    return any_(bindparam(None, list(values), type_=ARRAY(item_type)))


def all_array(values: Sequence[Any], item_type: type[TypeEngine[Any]] | TypeEngine[Any]) -> Any:
    """`<> ALL($1)`: the array form of NOT IN; an empty list excludes nothing."""
    return all_(bindparam(None, list(values), type_=ARRAY(item_type)))


async def copy_upsert(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str] | None = None,
    update: Sequence[str] = (),
    returning: str | None = None,
) -> list:
    """Bulk insert-if-absent (or overwrite `update` columns on `conflict`), inside the caller's transaction.

    COPY into a per-connection staging table, then one INSERT ... SELECT ... ON CONFLICT: an executemany of
    a few thousand rows costs SQLAlchemy more to compile and bind than PostgreSQL takes to store them.
    Returns the `returning` column of the rows written now (not of those already present).
    """
    if not rows:
        return []
    if update and not conflict:
        raise ValueError("overwriting columns needs the conflict target that says which row is the same")
    names, records = _records(table, rows)
    if not all(_IDENTIFIER.fullmatch(n) for n in (*(conflict or ()), *update, returning or "x")):
        raise ValueError("table and column names must be plain identifiers")
    stage = f"_stage_{table.name}"
    cols = ", ".join(f'"{n}"' for n in names)
    await session.execute(
        text(
            f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" (LIKE "{table.name}" INCLUDING DEFAULTS) ON COMMIT DELETE ROWS'
        )
    )
    await copy_records(session, stage, names, records)
    if update:
        target = ", ".join(f'"{k}"' for k in conflict or ())
        sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in update)
        on_conflict = f"ON CONFLICT ({target}) DO UPDATE SET {sets}"
    else:
        on_conflict = "ON CONFLICT DO NOTHING"
    sql = f'INSERT INTO "{table.name}" ({cols}) SELECT {cols} FROM "{stage}" {on_conflict}'  # noqa: S608 - checked identifiers
    if returning:
        sql += f' RETURNING "{returning}"'
    result = await session.execute(text(sql))
    written = [row[0] for row in result.all()] if returning else []
    # A second call in the same transaction starts clean.
    await session.execute(text(f'DELETE FROM "{stage}"'))  # noqa: S608 - checked identifier
    return written


async def copy_into(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """COPY rows straight into a table (no staging table, no INSERT ... SELECT): for rows known to be absent.

    A row already there fails the whole COPY on its key; callers check first and treat that as a race.
    """
    if rows:
        names, records = _records(table, rows)
        await copy_records(session, table.name, names, records)


def _records(table: Table, rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[tuple]]:
    """The column names of rows (checked against the table) and their values as tuples, JSON columns encoded."""
    unknown = set(rows[0]) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column {', '.join(sorted(unknown))}")
    columns = [c for c in table.columns if c.name in rows[0]]
    names = [c.name for c in columns]
    if not all(_IDENTIFIER.fullmatch(n) for n in (table.name, *names)):
        raise ValueError("table and column names must be plain identifiers")
    get = itemgetter(*names)
    records = [(get(row),) for row in rows] if len(names) == 1 else [get(row) for row in rows]
    json_at = [i for i, c in enumerate(columns) if isinstance(c.type, JSON)]
    if json_at:
        records = [_with_json(r, json_at) for r in records]
    return names, records
