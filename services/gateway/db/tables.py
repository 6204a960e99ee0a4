"""The gateway's tables: its users, every service's signed audit checkpoints, and its own outbox, inbox and trail."""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)

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
    # Staff contact: the name shown to colleagues and the address notifications are mailed to (never a subject's).
    Column("full_name", Text),
    Column("email", Text),
    Column("disabled_at", DateTime(timezone=True)),  # a disabled login cannot sign in or refresh
    Column("disabled_by", Text),
    Column("must_change_password", Boolean, nullable=False, server_default="false"),  # an admin's temporary one
    Column("notify_by_mail", Boolean, nullable=False, server_default="false"),
)

# What a member of staff is told (assigned a case, a draft to review, a redress SLA near, a reply arrived): ids and
# a short label, never a subject's personal data. `mail_state`: none (in-app only), due, sent, failed.
notifications = Table(
    "notifications",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("username", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("record_type", Text, nullable=False),
    Column("record_id", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("link", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("read_at", DateTime(timezone=True)),
    Column("mail_state", Text, nullable=False, server_default="none"),
    Column("mailed_at", DateTime(timezone=True)),
    UniqueConstraint("username", "kind", "record_id", "label", name="uq_notifications_once"),
    Index("ix_notifications_user", "username", "created_at"),
    Index("ix_notifications_mail_due", "created_at", postgresql_where=text("mail_state = 'due'")),
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
