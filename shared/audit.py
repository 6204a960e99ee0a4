"""Tamper-evident audit trail: one append-only, hash-chained table in every service's database.

Each entry's hash covers its content and the previous entry's hash, so editing or deleting any row breaks
every link after it; `verify` walks a chain and names the first broken one. The database refuses UPDATE,
DELETE and TRUNCATE on the table (a trigger), so only someone bypassing the app role can tamper at all.
Field names are recorded, never values: the trail itself holds no PII.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import ARRAY, BigInteger, Column, DateTime, Index, MetaData, Table, Text, select, text
from sqlalchemy.ext.asyncio import AsyncSession

GENESIS = "0" * 64
_LOCK_KEY = zlib.crc32(b"tracs.audit_trail")


def audit_table(metadata: MetaData) -> Table:
    return Table(
        "audit_trail",
        metadata,
        Column("seq", BigInteger, primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("actor", Text, nullable=False),
        Column("action", Text, nullable=False),
        Column("record_type", Text, nullable=False),
        Column("record_id", Text),
        Column("fields", ARRAY(Text), nullable=False),
        Column("outcome", Text, nullable=False),
        Column("correlation_id", Text),
        Column("client", Text),
        Column("detail", Text),
        Column("prev_hash", Text, nullable=False),
        Column("hash", Text, nullable=False),
        Index("ix_audit_trail_record", "record_type", "record_id"),
    )


@dataclass
class Entry:
    actor: str
    action: str
    record_type: str
    record_id: str | None
    outcome: str  # allowed, denied, not-found, refused, failed
    fields: Sequence[str] = ()
    correlation_id: str | None = None
    client: str | None = None
    detail: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


HASHED = (
    "at",
    "actor",
    "action",
    "record_type",
    "record_id",
    "fields",
    "outcome",
    "correlation_id",
    "client",
    "detail",
)


def _digest(prev_hash: str, row: Any) -> str:
    content = {k: row[k] for k in HASHED}
    content["at"] = row["at"].astimezone(UTC).isoformat()
    content["fields"] = list(row["fields"])
    return hashlib.sha256(prev_hash.encode() + orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def append(session: AsyncSession, table: Table, entries: Sequence[Entry]) -> None:
    """Chain entries onto the trail inside the caller's transaction (serialised by an advisory lock)."""
    if not entries:
        return
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    prev = (await session.execute(select(table.c.hash).order_by(table.c.seq.desc()).limit(1))).scalar()
    prev = prev or GENESIS
    rows = []
    for e in entries:
        row = {
            "at": e.at,
            "actor": _text(e.actor),
            "action": _text(e.action),
            "record_type": _text(e.record_type),
            "record_id": _text(e.record_id),
            "fields": sorted({_text(f) for f in e.fields}),
            "outcome": e.outcome,
            "correlation_id": _text(e.correlation_id),
            "client": _text(e.client),
            "detail": _text(e.detail),
        }
        row["prev_hash"] = prev
        row["hash"] = prev = _digest(prev, row)
        rows.append(row)
    await session.execute(table.insert(), rows)


def _text(value: str | None) -> Any:
    """PostgreSQL text holds no NUL and no lone surrogate; a caller-chosen field name may. Keep it visible."""
    if value is None:
        return None
    return value.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")[:500]


@dataclass
class ChainReport:
    entries: int
    broken_at: int | None = None  # seq of the first entry whose link does not hold
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


async def verify(session: AsyncSession, table: Table, *, chunk: int = 5000) -> ChainReport:
    """Walk the chain in order; the first entry whose prev_hash or hash does not match is reported."""
    prev, count, after = GENESIS, 0, 0
    while True:
        result = await session.execute(select(table).where(table.c.seq > after).order_by(table.c.seq).limit(chunk))
        rows = result.mappings().all()
        if not rows:
            return ChainReport(count)
        for row in rows:
            if row["prev_hash"] != prev:
                return ChainReport(count, row["seq"], "the entry before it was changed or removed")
            if _digest(prev, row) != row["hash"]:
                return ChainReport(count, row["seq"], "its content no longer matches its hash")
            prev, after, count = row["hash"], row["seq"], count + 1


async def trail(
    session: AsyncSession, table: Table, *, record_type: str | None, record_id: str | None, limit: int
) -> list[dict[str, Any]]:
    stmt = select(table).order_by(table.c.seq.desc()).limit(limit)
    if record_type:
        stmt = stmt.where(table.c.record_type == record_type)
    if record_id:
        stmt = stmt.where(table.c.record_id == record_id)
    rows = (await session.execute(stmt)).mappings().all()
    return [{k: v for k, v in r.items() if k not in ("prev_hash",)} for r in rows]


# Installed by each service's migration: the app role may only ever INSERT into the trail.
APPEND_ONLY_DDL = (
    """
    CREATE OR REPLACE FUNCTION tracs_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_trail is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    "CREATE TRIGGER audit_trail_no_update_delete BEFORE UPDATE OR DELETE ON audit_trail "
    "FOR EACH ROW EXECUTE FUNCTION tracs_audit_append_only()",
    "CREATE TRIGGER audit_trail_no_truncate BEFORE TRUNCATE ON audit_trail "
    "FOR EACH STATEMENT EXECUTE FUNCTION tracs_audit_append_only()",
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_trail FROM PUBLIC",
)
