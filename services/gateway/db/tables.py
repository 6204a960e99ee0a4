"""The gateway's tables: its users, every service's signed audit checkpoints, and its own outbox, inbox and trail."""

from __future__ import annotations

from sqlalchemy import ARRAY, BigInteger, Column, Date, DateTime, Integer, Table, Text, func

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
    # PIA 8.2-8.3: annual privacy training keeps access; a clearance is held (its expiry enforced when known).
    Column("training_completed_on", Date),
    Column("clearance_granted_on", Date),
    Column("clearance_expires_on", Date),
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
    Column("note", Text),  # the Merkle tree's checkpoint (C2SP signed note)
    Column("first", BigInteger),  # `leaves` holds the leaf hashes of entries first+1 .. the note's size
    Column("leaves", Text),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
