"""Disclosure's own tables: agreements (append-only versions), recipients, drafts, the accounting, and a
non-personal projection of cases (ids, programs, owners, flags)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    delete,
    exists,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from shared import policy
from shared.db import copy_upsert
from shared.runtime import service_metadata

metadata, outbox, inbox = service_metadata()

encounter_projection = Table(
    "encounter_projection",
    metadata,
    Column("encounter_id", Uuid, primary_key=True),
    Column("subject_id", Uuid, nullable=False, index=True),
    Column("program", Text, nullable=False),
    Column("data_owner", Text),
    Column("partner_country", Text),
    Column("protected_class", Text),
    Column("special_protected", Boolean, nullable=False),
    Column("projected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

agreements = Table(
    "agreements",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("current_version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False, server_default="system"),
)

# Every change is a new row; a disclosure records the exact version it was made under.
agreement_versions = Table(
    "agreement_versions",
    metadata,
    Column("agreement_id", Uuid, ForeignKey("agreements.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("partner_country", Text, nullable=False),
    Column("partner_agency", Text, nullable=False),
    Column("program", Text, nullable=False),
    Column("data_owners", ARRAY(Text), nullable=False),
    Column("ous", ARRAY(Text), nullable=False),
    Column("fields", ARRAY(Text), nullable=False),
    Column("di_categories", ARRAY(Text), nullable=False),
    Column("protected_classes", ARRAY(Text), nullable=False),
    Column("caveat", Text, nullable=False),
    Column("purposes", ARRAY(Text), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("change_note", Text, nullable=False),
    Column("changed_by", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("agreement_id", "version"),
)

recipients = Table(
    "recipients",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("agreement_id", Uuid, ForeignKey("agreements.id"), nullable=False, index=True),
    Column("person", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("certificate_pem", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=False),
    # A person who left the partner agency (or whose address changed): never deleted, since the accounting
    # names them; retired recipients are refused for new drafts and for sending.
    Column("retired_at", DateTime(timezone=True)),
    Column("retired_by", Text),
    Column("retired_reason", Text),
)

VERSION_FIELDS = (
    "partner_country",
    "partner_agency",
    "program",
    "data_owners",
    "ous",
    "fields",
    "di_categories",
    "protected_classes",
    "caveat",
    "purposes",
    "valid_from",
    "valid_to",
)


async def project(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await copy_upsert(session, encounter_projection, rows)


async def subject_encounters(session: AsyncSession, subject_id: uuid.UUID) -> list[dict[str, Any]]:
    """Disclosure's own view of a subject's encounters, with the flags it has heard of (what a draft uses)."""
    stmt = (
        select(encounter_projection)
        .where(encounter_projection.c.subject_id == subject_id)
        .order_by(encounter_projection.c.projected_at, encounter_projection.c.encounter_id)
    )
    rows = [dict(r) for r in (await session.execute(stmt)).mappings().all()]
    ids = [r["encounter_id"] for r in rows]
    flags: dict[uuid.UUID, dict[str, Any]] = {i: {} for i in ids}
    if ids:
        found = await session.execute(select(encounter_flags).where(encounter_flags.c.encounter_id.in_(ids)))
        for f in found.mappings():
            flags[f["encounter_id"]][f["flag"]] = f["value"]
    return [{**r, "flags": flags[r["encounter_id"]]} for r in rows]


async def agreement_by_name(session: AsyncSession, name: str) -> Any:
    return (await session.execute(select(agreements).where(agreements.c.name == name))).mappings().first()


async def insert_agreement(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(agreements.insert().values(**row))


async def insert_version(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(agreement_versions.insert().values(**row))


async def lock_agreement(session: AsyncSession, agreement_id: uuid.UUID) -> Any:
    stmt = select(agreements).where(agreements.c.id == agreement_id).with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def set_current_version(session: AsyncSession, agreement_id: uuid.UUID, version: int, actor: str) -> None:
    stmt = update(agreements).where(agreements.c.id == agreement_id)
    await session.execute(stmt.values(current_version=version, updated_at=func.now(), updated_by=actor))


def _current() -> Any:
    a, v = agreements, agreement_versions
    return select(a.c.id, a.c.name, a.c.created_at, a.c.created_by, v).join(
        v, (v.c.agreement_id == a.c.id) & (v.c.version == a.c.current_version)
    )


async def current_agreements(session: AsyncSession) -> list[Any]:
    return list((await session.execute(_current().order_by(agreements.c.name))).mappings().all())


async def current_agreement(session: AsyncSession, agreement_id: uuid.UUID) -> Any:
    return (await session.execute(_current().where(agreements.c.id == agreement_id))).mappings().first()


async def versions(session: AsyncSession, agreement_id: uuid.UUID) -> list[Any]:
    stmt = (
        select(agreement_versions)
        .where(agreement_versions.c.agreement_id == agreement_id)
        .order_by(agreement_versions.c.version)
    )
    return list((await session.execute(stmt)).mappings().all())


async def insert_recipient(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(recipients.insert().values(**row))


async def recipient_for_update(session: AsyncSession, agreement_id: uuid.UUID, recipient_id: uuid.UUID) -> Any:
    r = recipients.c
    stmt = select(recipients).where(r.id == recipient_id, r.agreement_id == agreement_id).with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def retire_recipient(session: AsyncSession, recipient_id: uuid.UUID, *, by: str, reason: str) -> None:
    await session.execute(
        recipients.update()
        .where(recipients.c.id == recipient_id)
        .values(retired_at=func.now(), retired_by=by, retired_reason=reason)
    )


async def agreement_recipients(session: AsyncSession, agreement_id: uuid.UUID) -> list[Any]:
    stmt = select(recipients).where(recipients.c.agreement_id == agreement_id).order_by(recipients.c.created_at)
    return list((await session.execute(stmt)).mappings().all())


# Read model of cases, built from events (disclosure never reads cases' tables): ids, programs, partners, owners
# and flags, for scoping, lists and notifications. No imported values: a draft asks cases for them (issue 17).
case_view = Table(
    "case_view",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("subject_id", Uuid, nullable=False, index=True),
    Column("program", Text, nullable=False),
    Column("partner_country", Text),
    Column("partner_transaction_number", Text),
    Column("matched", Boolean, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
)

case_members = Table(
    "case_members",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("encounter_id", Uuid, primary_key=True),
)

encounter_flags = Table(
    "encounter_flags",
    metadata,
    Column("encounter_id", Uuid, primary_key=True),
    Column("flag", Text, primary_key=True),
    Column("value", JSONB, nullable=False),
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("agreement_id", Uuid, nullable=False),
    Column("agreement_version", Integer, nullable=False),
    Column("recipient_id", Uuid, ForeignKey("recipients.id"), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("released", JSONB, nullable=False),
    Column("withheld", JSONB, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False, server_default="system"),
)

# The accounting of disclosures (Privacy Act 552a(c), PIA 6.4): one row per response, written `pending`
# before the message is handed to the relay and made `sent` after, so nothing leaves unaccounted. `failed`
# rows (the relay refused it) are attempts, not disclosures; a draft has at most one pending-or-sent row.
ACCOUNTED = ("pending", "sent")

accounting = Table(
    "accounting",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("draft_id", Uuid, ForeignKey("drafts.id"), nullable=False),
    Column("case_id", Uuid, nullable=False),
    Column("subject_id", Uuid, nullable=False, index=True),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("nature", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("recipient_id", Uuid, nullable=False, index=True),
    Column("recipient_agency", Text, nullable=False),
    Column("recipient_person", Text, nullable=False),
    Column("recipient_email", Text, nullable=False),
    Column("analyst", Text, nullable=False),
    Column("agreement_id", Uuid, nullable=False),
    Column("agreement_version", Integer, nullable=False),
    Column("matched", Boolean, nullable=False),
    Column("digest", Text, nullable=False),
    Column("encounter_ids", ARRAY(Uuid), nullable=False),
    Column("fields", ARRAY(Text), nullable=False),
    Column("state", Text, nullable=False, server_default="sent"),
    Column("message_id", Text),
    # SHA-256 of the sealed bytes; the bytes themselves are kept so a re-delivery is the very same message.
    Column("message_digest", Text),
    Column("message", LargeBinary),
    # What to record and announce once the message has left: owner notifications, the DisclosureSent event.
    Column("on_sent", JSONB),
    Column("delivered_at", DateTime(timezone=True)),
    Column("failure", Text),
    Index("uq_accounting_draft_accounted", "draft_id", unique=True, postgresql_where=text("state <> 'failed'")),
    Index("ix_accounting_pending", "id", postgresql_where=text("state = 'pending'")),
)


async def upsert(
    session: AsyncSession,
    table: Table,
    rows: list[dict[str, Any]],
    keys: list[str],
    update_cols: list[str] | None = None,
) -> None:
    """Idempotent projection writes: insert, or overwrite the named columns."""
    await copy_upsert(session, table, rows, conflict=keys, update=update_cols or ())


# Recipients to tell when data they received was corrected (Privacy Act 552a(c)(4)).
correction_notices = Table(
    "correction_notices",
    metadata,
    Column("correction_id", Uuid, primary_key=True),
    Column("accounting_id", Uuid, ForeignKey("accounting.id"), primary_key=True),
    Column("redress_id", Uuid, nullable=False, index=True),
    Column("encounter_id", Uuid, nullable=False, index=True),
    Column("field", Text, nullable=False),
    Column("recipient_email", Text, nullable=False),
    Column("recipient_agency", Text, nullable=False),
    Column("disclosed_at", DateTime(timezone=True), nullable=False),
    Column("listed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Data-owner notifications (PIA 3.1, 6.1): each owner hears only about its own encounters; FBI-TSC hears of
# every match on its records whether or not anything was shared.
owner_notifications = Table(
    "owner_notifications",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("data_owner", Text, nullable=False, index=True),
    Column("case_id", Uuid, nullable=False),
    Column("encounter_ids", ARRAY(Uuid), nullable=False),
    Column("shared", Boolean, nullable=False),
    Column("partner_country", Text),
    Column("accounting_id", Uuid),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


async def forget(session: AsyncSession, *, case_ids: list[uuid.UUID], encounter_ids: list[uuid.UUID]) -> None:
    """Drop the read model's copies of purged records (unsent drafts with them)."""
    if encounter_ids:
        for table in (encounter_projection, encounter_flags, case_members):
            await session.execute(delete(table).where(table.c.encounter_id.in_(encounter_ids)))
    if case_ids:
        # A draft with any accounting (sent, pending or a failed attempt) stays with its accounting.
        accounted = exists().where(accounting.c.draft_id == drafts.c.id)
        await session.execute(delete(drafts).where(drafts.c.case_id.in_(case_ids), ~accounted))
        for table in (case_members, case_view):
            await session.execute(delete(table).where(table.c.case_id.in_(case_ids)))


def visible_cases() -> Any:
    """The cases of the caller's programs, as a subquery; None when the caller is not program-scoped."""
    if (programs := policy.visible_programs()) is None:
        return None
    return select(case_view.c.case_id).where(case_view.c.program.in_(sorted(programs)))
