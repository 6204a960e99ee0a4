"""Tamper-evident audit trail: one append-only table in every service's database, chained off the request path.

Writers INSERT entries unchained (no `seq`, no hash) and take no lock, so a request never waits for another.
A sequencer (`shared/audit_sequencer.py`, one leader per database) later gives each entry its place `seq`
and its hash, which covers the content and the previous entry's hash: editing or deleting any row breaks
every link after it, and `verify` names the first broken one. Signed checkpoints of the head, kept outside
the database, catch even someone who rewrites the rows and recomputes every hash. The database refuses
DELETE, TRUNCATE and any UPDATE but the sequencer's one-time assignment of `seq`/`prev_hash`/`hash`.
Field names are recorded, never values: the trail itself holds no PII.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    CTE,
    BigInteger,
    Column,
    DateTime,
    Index,
    MetaData,
    Table,
    Text,
    bindparam,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

GENESIS = "0" * 64
SEQUENCER_LOCK_KEY = zlib.crc32(b"tracs.audit_trail")


def audit_table(metadata: MetaData) -> Table:
    return Table(
        "audit_trail",
        metadata,
        # Assigned at insert; commit order differs, so the chain's order is `seq`, given by the sequencer.
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("seq", BigInteger),
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
        Column("prev_hash", Text),
        Column("hash", Text),
        Index("ix_audit_trail_record", "record_type", "record_id"),
        # The calls behind one user action share a correlation id (services/gateway/audit_actions.py).
        Index("ix_audit_trail_correlation", "correlation_id"),
        Index("ux_audit_trail_seq", "seq", unique=True),
        Index("ix_audit_trail_unsequenced", "id", postgresql_where=text("seq IS NULL")),
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


def content_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """What an entry says, as JSON values: the part its hash and its Merkle leaf cover."""
    content = {k: row[k] for k in HASHED}
    content["at"] = row["at"].astimezone(UTC).isoformat() if isinstance(row["at"], datetime) else row["at"]
    content["fields"] = list(row["fields"])
    return content


def leaf_data(row: Mapping[str, Any]) -> bytes:
    """The entry's canonical bytes (sorted-key JSON): its Merkle leaf is SHA-256(0x00 || these)."""
    return orjson.dumps(content_of(row), option=orjson.OPT_SORT_KEYS)


def digest(prev_hash: str, row: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + leaf_data(row)).hexdigest()


def row_of(e: Entry) -> dict[str, Any]:
    """The columns an entry is inserted with (unchained: the sequencer adds seq and hashes)."""
    return {
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


async def append(session: AsyncSession, table: Table, entries: Sequence[Entry]) -> None:
    """Add entries inside the caller's transaction: a plain INSERT, no lock; they commit with the effect."""
    if entries:
        await session.execute(table.insert(), [row_of(e) for e in entries])


# One statement, one round trip: the entry goes in only if the transaction has written something already
# (a transaction id is assigned at its first write), so a read-only unit of work leaves it to the middleware.
INSERT_IF_WRITTEN = text(
    "INSERT INTO audit_trail (at, actor, action, record_type, record_id, fields, outcome, correlation_id,"
    " client, detail) SELECT CAST(:at AS timestamptz), :actor, :action, :record_type, :record_id,"
    " CAST(:fields AS text[]), :outcome, :correlation_id, :client, :detail"
    " WHERE txid_current_if_assigned() IS NOT NULL RETURNING id"
)

INSERT_ONE = (
    "INSERT INTO audit_trail (at, actor, action, record_type, record_id, fields, outcome, correlation_id,"
    " client, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
)


@dataclass
class RequestAudit:
    """The entry-to-be of one HTTP call, shared by the middleware and the units of work the call opens.

    The first unit of work that commits a change writes the entry in its own transaction (`written`);
    otherwise (reads, refused or failed calls) the middleware writes it before the answer leaves.
    """

    build: Callable[[int], Entry | None]
    written: bool = False
    # Written by the read itself, as answered (status 200): an answer that then fails gets a second entry.
    written_by_read: bool = False


CURRENT_REQUEST: ContextVar[RequestAudit | None] = ContextVar("tracs_request_audit", default=None)


def entry_cte(table: Table) -> CTE:
    """The current call's entry as a data-modifying WITH of a read (`Select.add_cte`): PostgreSQL runs it with
    the SELECT, in its one round trip, and commits both or neither. Its values are parameters (`read_entry`),
    so the read's statement, built once, serves every call."""
    values = {name: bindparam(f"audit_{name}", type_=table.c[name].type, required=True) for name in HASHED}
    return table.insert().values(values).cte("audit_entry")


def read_entry() -> tuple[RequestAudit, dict[str, Any]] | None:
    """The current call's entry as `entry_cte`'s parameters, for a read that writes it; None outside an audited
    call or once its entry is written. The caller marks it written (`written_by_read`) when the read succeeded."""
    pending = CURRENT_REQUEST.get()
    if pending is None or pending.written:
        return None
    entry = pending.build(200)
    if entry is None:
        return None
    return pending, {f"audit_{k}": v for k, v in row_of(entry).items()}


async def record_request_if_written(session: AsyncSession) -> RequestAudit | None:
    """Inside a committing transaction: add the current call's entry if this transaction changed anything."""
    pending = CURRENT_REQUEST.get()
    if pending is None or pending.written or not session.info.get("may_write"):
        return None  # a transaction that ran only SELECTs changed nothing
    entry = pending.build(200)
    if entry is None:
        return None
    inserted = (await session.execute(INSERT_IF_WRITTEN, row_of(entry))).first()
    return pending if inserted is not None else None


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
    pending: int = 0  # entries not yet sequenced (the sequencer links them within about a second)
    checkpoints: int = 0  # signed checkpoints the chain was checked against

    @property
    def intact(self) -> bool:
        return self.broken_at is None


async def verify(
    session: AsyncSession, table: Table, *, checkpoints: Mapping[int, str] | None = None, chunk: int = 5000
) -> ChainReport:
    """Walk the chain in order; the first entry whose prev_hash or hash does not match is reported.

    `checkpoints` (size -> signed head hash) catch a rewrite with every hash recomputed: the chain then
    disagrees with a checkpoint, and the first entry after the last checkpoint that still holds is named.
    """
    marks = dict(checkpoints or {})
    prev, count, after, last_good = GENESIS, 0, 0, 0
    pending = (await session.execute(text("SELECT count(*) FROM audit_trail WHERE seq IS NULL"))).scalar_one()

    def report(broken: int | None = None, reason: str | None = None) -> ChainReport:
        return ChainReport(count, broken, reason, pending, len(marks))

    while True:
        result = await session.execute(select(table).where(table.c.seq > after).order_by(table.c.seq).limit(chunk))
        rows = result.mappings().all()
        if not rows:
            beyond = sorted(size for size in marks if size > count)
            if beyond:
                return report(last_good + 1, f"a signed checkpoint covers {beyond[0]} entries; the trail has {count}")
            return report()
        for row in rows:
            if row["seq"] != after + 1 or row["prev_hash"] != prev:
                return report(row["seq"], "the entry before it was changed or removed")
            if digest(prev, row) != row["hash"]:
                return report(row["seq"], "its content no longer matches its hash")
            prev, after, count = row["hash"], row["seq"], count + 1
            signed = marks.get(row["seq"])
            if signed is not None:
                if signed != row["hash"]:
                    return report(
                        last_good + 1,
                        f"the trail was rewritten: its head at entry {row['seq']} disagrees with the signed checkpoint",
                    )
                last_good = row["seq"]


@dataclass(frozen=True)
class TrailQuery:
    """What an auditor narrows a trail to; every part optional. Record ids match by prefix, so the short ids
    the console shows (the first 8 characters) find their record; several ids find every one of them."""

    record_type: str | None = None
    record_ids: Sequence[str] = ()
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    correlation_ids: Sequence[str] = ()
    limit: int = 200
    offset: int = 0


async def trail(
    session: AsyncSession,
    table: Table,
    *,
    record_type: str | None = None,
    record_id: str | None = None,
    limit: int = 200,
    query: TrailQuery | None = None,
) -> list[dict[str, Any]]:
    q = query or TrailQuery(record_type=record_type, record_ids=[record_id] if record_id else [], limit=limit)
    stmt = select(table).order_by(table.c.id.desc()).limit(q.limit).offset(q.offset)
    if q.record_type:
        stmt = stmt.where(table.c.record_type == q.record_type)
    ids = [i for i in q.record_ids if i]
    if ids:
        stmt = stmt.where(or_(*(table.c.record_id.startswith(i, autoescape=True) for i in ids)))
    if q.actor:
        stmt = stmt.where(table.c.actor == q.actor)
    if q.correlation_ids:
        stmt = stmt.where(table.c.correlation_id.in_(list(q.correlation_ids)))
    if q.since:
        stmt = stmt.where(table.c.at >= q.since)
    if q.until:
        stmt = stmt.where(table.c.at < q.until)
    rows = (await session.execute(stmt)).mappings().all()
    return [{k: v for k, v in r.items() if k not in ("prev_hash", "id")} for r in rows]


# The check until the `audit_link_check` migrations: every column but the chain's compared as JSON, which
# built two jsonb documents per linked entry and doubled the cost of the sequencer's UPDATE.
_LINK_ONCE_AS_JSONB = """
    CREATE OR REPLACE FUNCTION tracs_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND OLD.hash IS NULL AND OLD.prev_hash IS NULL
           AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
           AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash') = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash')
        THEN
            RETURN NEW;  -- the sequencer linking an entry into the chain, once
        END IF;
        RAISE EXCEPTION 'audit_trail is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$
    """

# Installed by each service's migration: the app role may only INSERT, and the sequencer may fill in the
# chain columns of an entry once; the content columns never change. The new row with its chain columns
# emptied must equal the old one, compared as rows: every column, present and future, without building JSON.
APPEND_ONLY_DDL = (
    """
    CREATE OR REPLACE FUNCTION tracs_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        unlinked audit_trail%ROWTYPE;
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND OLD.hash IS NULL AND OLD.prev_hash IS NULL
           AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
        THEN
            unlinked := NEW;
            unlinked.seq := NULL;
            unlinked.prev_hash := NULL;
            unlinked.hash := NULL;
            IF unlinked IS NOT DISTINCT FROM OLD THEN
                RETURN NEW;  -- the sequencer linking an entry into the chain, once
            END IF;
        END IF;
        RAISE EXCEPTION 'audit_trail is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    "CREATE TRIGGER audit_trail_no_update_delete BEFORE UPDATE OR DELETE ON audit_trail "
    "FOR EACH ROW EXECUTE FUNCTION tracs_audit_append_only()",
    "CREATE TRIGGER audit_trail_no_truncate BEFORE TRUNCATE ON audit_trail "
    "FOR EACH STATEMENT EXECUTE FUNCTION tracs_audit_append_only()",
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_trail FROM PUBLIC",
)

# The step each service's `000N_audit_sequencer` migration takes from the locked, chained-at-insert trail:
# the insert order becomes `id`, the chain position `seq` (renumbered 1..n: the old serial had gaps) and
# the chain columns may wait for the sequencer. The trigger is replaced by the one above.
SEQUENCER_UPGRADE = (
    "ALTER TABLE audit_trail RENAME COLUMN seq TO id",
    "ALTER SEQUENCE IF EXISTS audit_trail_seq_seq RENAME TO audit_trail_id_seq",
    # The serial goes on from the highest id whatever wrote the rows before.
    "SELECT setval(pg_get_serial_sequence('audit_trail', 'id'), coalesce(max(id), 0) + 1, false) FROM audit_trail",
    "ALTER TABLE audit_trail ADD COLUMN seq BIGINT",
    "ALTER TABLE audit_trail DISABLE TRIGGER audit_trail_no_update_delete",
    "UPDATE audit_trail AS t SET seq = r.n FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_trail) AS r"
    " WHERE t.id = r.id",
    "ALTER TABLE audit_trail ENABLE TRIGGER audit_trail_no_update_delete",
    "ALTER TABLE audit_trail ALTER COLUMN prev_hash DROP NOT NULL",
    "ALTER TABLE audit_trail ALTER COLUMN hash DROP NOT NULL",
    "CREATE UNIQUE INDEX ux_audit_trail_seq ON audit_trail (seq)",
    "CREATE INDEX ix_audit_trail_unsequenced ON audit_trail (id) WHERE seq IS NULL",
    APPEND_ONLY_DDL[0],
)

SEQUENCER_DOWNGRADE = (
    """
    DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM audit_trail WHERE seq IS NULL) THEN
            RAISE EXCEPTION 'audit entries wait for the sequencer: run the services until none does, then downgrade';
        END IF;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION tracs_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_trail is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    "DROP INDEX ix_audit_trail_unsequenced",
    "DROP INDEX ux_audit_trail_seq",
    "ALTER TABLE audit_trail ALTER COLUMN prev_hash SET NOT NULL",
    "ALTER TABLE audit_trail ALTER COLUMN hash SET NOT NULL",
    "ALTER TABLE audit_trail DROP COLUMN id",
    "ALTER TABLE audit_trail ADD CONSTRAINT audit_trail_pkey PRIMARY KEY (seq)",
    "CREATE SEQUENCE audit_trail_seq_seq OWNED BY audit_trail.seq",
    "SELECT setval('audit_trail_seq_seq', coalesce((SELECT max(seq) FROM audit_trail), 0) + 1, false)",
    "ALTER TABLE audit_trail ALTER COLUMN seq SET DEFAULT nextval('audit_trail_seq_seq')",
    "ALTER TABLE audit_trail ALTER COLUMN seq SET NOT NULL",
)

# Each service's `audit_link_check` migration: the same rule, checked without JSON (see APPEND_ONLY_DDL).
LINK_CHECK_UPGRADE = (APPEND_ONLY_DDL[0],)
LINK_CHECK_DOWNGRADE = (_LINK_ONCE_AS_JSONB,)
