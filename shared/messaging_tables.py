"""The outbox and inbox tables every service carries in its own database."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("event_type", Text, nullable=False),
        Column("correlation_id", Text, nullable=False),
        Column("body", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Index("ix_outbox_created_at", "created_at"),
    )


def outbox_pending_table(metadata: MetaData) -> Table:
    """The outbox rows not yet published: one narrow row each, deleted once published.

    Marking a row sent used to UPDATE the outbox row itself, which rewrites its whole body (~1.7 KB for
    a per-row event, up to 1 MiB for a chunk); deleting a 16-byte row here touches nothing else.
    """
    return Table(
        "outbox_pending",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", Text, nullable=False),
        Column("event_id", Uuid, nullable=False),
        Column("status", Text, nullable=False, server_default="done"),
        Column("error", Text),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id"),
    )


def messaging_tables(metadata: MetaData) -> tuple[Table, Table]:
    outbox = outbox_table(metadata)
    outbox_pending_table(metadata)
    return outbox, inbox_table(metadata)


def pending_of(outbox: Table) -> Table:
    """The pending table that goes with an outbox (same metadata)."""
    return outbox.metadata.tables["outbox_pending"]
