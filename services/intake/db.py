"""Intake's own tables and the queries on them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    bindparam,
    cast,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSON, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import any_array, copy_records
from shared.messaging_tables import pending_of
from shared.runtime import service_metadata

metadata, outbox, inbox = service_metadata()

batches = Table(
    "batches",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("file_name", Text, nullable=False),
    Column("file_sha256", Text, nullable=False, index=True),
    Column("file_size", BigInteger, nullable=False),
    Column("program", Text, nullable=False),
    Column("upload_kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("mapping", JSONB, nullable=False),
    Column("rows_total", Integer, nullable=False),
    Column("rows_valid", Integer, nullable=False),
    Column("rows_invalid", Integer, nullable=False),
    Column("rows_no_match", Integer, nullable=False),
    Column("rows_imported", Integer, nullable=False, server_default="0"),
    Column("notices", JSONB, nullable=False, server_default="[]"),
    # Per column: cells stored as missing, the day/month order read, rows without a last name.
    Column("column_notices", JSONB, nullable=False, server_default="[]"),
    # The partner the upload named, and the importable rows per partner country (and without one).
    Column("partner_country", Text),
    Column("partners", JSONB, nullable=False, server_default="{}"),
    Column("rows_without_partner", Integer, nullable=False, server_default="0"),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("decided_by", Text),
    Column("decided_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text, nullable=False, server_default="system"),
    # Bulk path v2: a confirmed batch leaves as chunks (dispatcher cursor), cases answers per chunk.
    Column("dispatched_through", Integer, nullable=False, server_default="0"),  # last row number sent
    Column("chunks_dispatched", Integer, nullable=False, server_default="0"),
    Column("dispatched_at", DateTime(timezone=True)),  # every importable row is in a chunk
    Column("rows_attached", Integer, nullable=False, server_default="0"),
    Column("rows_failed", Integer, nullable=False, server_default="0"),
    Column("staging_purged_at", DateTime(timezone=True)),  # staged rows deleted under the retention rule
    Column("confirm_correlation_id", Text),  # the confirm request's: chunks carry it into every service's logs
    # One live (not rejected) batch per file: a concurrent re-upload loses the race cleanly.
    Index("uq_batches_live_sha", "file_sha256", unique=True, postgresql_where=text("status <> 'rejected'")),
)

staged_rows = Table(
    "staged_rows",
    metadata,
    Column("batch_id", Uuid, ForeignKey("batches.id", ondelete="CASCADE"), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("encounter_id", Uuid, nullable=False, unique=True),
    # json, not jsonb: kept as the text written (no parse into a binary form on COPY), and the dispatcher
    # embeds that text in a chunk as it is; nothing here needs jsonb's operators or indexes.
    Column("raw", JSON, nullable=False),
    Column("parsed", JSON, nullable=False),
    Column("extra", JSON, nullable=False),
    Column("problems", JSON, nullable=False),
    Column("valid", Boolean, nullable=False),
    Column("no_match", Boolean, nullable=False),
    Column("subject_key", Text),  # FIN, else partner country + id: what a chunk's row is keyed by in cases
    PrimaryKeyConstraint("batch_id", "row_number"),
    # A batch's invalid rows in row order: the batch view lists the first problems on every read (an import
    # followed by polling), which otherwise walks every valid row of a 100,000-row batch.
    Index("ix_staged_rows_invalid", "batch_id", "row_number", postgresql_where=text("valid IS false")),
)

# Cases' answer per chunk (EncountersAttached): a redelivered answer is recorded once.
batch_chunks = Table(
    "batch_chunks",
    metadata,
    Column("batch_id", Uuid, ForeignKey("batches.id", ondelete="CASCADE"), nullable=False),
    Column("chunk", Integer, nullable=False),
    Column("rows_attached", Integer, nullable=False),
    Column("rows_failed", Integer, nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("batch_id", "chunk"),
)

# Rows cases could not apply, named on their batch (the reason names a column or rule, never a value).
row_failures = Table(
    "row_failures",
    metadata,
    Column("batch_id", Uuid, ForeignKey("batches.id", ondelete="CASCADE"), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("encounter_id", Uuid, nullable=False),
    Column("reason", Text, nullable=False),
    PrimaryKeyConstraint("batch_id", "row_number"),
)

# Which partners each program's agreements cover: a projection of disclosure's AgreementChanged events.
agreement_coverage = Table(
    "agreement_coverage",
    metadata,
    Column("agreement_id", Uuid, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("program", Text, nullable=False),
    Column("partner_country", Text, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("projected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_agreement_coverage_program_partner", "program", "partner_country"),
)

INSERT_CHUNK = 5000
ROW_COLUMNS = (
    "batch_id",
    "row_number",
    "encounter_id",
    "raw",
    "parsed",
    "extra",
    "problems",
    "valid",
    "no_match",
    "subject_key",
)


async def insert_batch(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(batches.insert().values(**row))


async def copy_rows(session: AsyncSession, records: list[tuple]) -> None:
    """Stage a chunk of rows with COPY (JSON columns as JSON text)."""
    await copy_records(session, staged_rows.name, ROW_COLUMNS, records)


async def staged_for_reread(session: AsyncSession, batch_id: uuid.UUID, row_numbers: list[int]) -> list[Any]:
    stmt = select(
        staged_rows.c.row_number,
        staged_rows.c.encounter_id,
        staged_rows.c.parsed,
        staged_rows.c.problems,
    ).where(staged_rows.c.batch_id == batch_id, staged_rows.c.row_number == any_array(row_numbers, Integer))
    return list((await session.execute(stmt)).mappings().all())


async def update_parsed(session: AsyncSession, batch_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    """Rewrite rows' parsed values, problems and validity (rows: row_number, parsed, problems, valid)."""
    stmt = (
        update(staged_rows)
        .where(staged_rows.c.batch_id == batch_id, staged_rows.c.row_number == bindparam("n"))
        .values(parsed=bindparam("p"), problems=bindparam("e"), valid=bindparam("v"))
    )
    params = [{"n": r["row_number"], "p": r["parsed"], "e": r["problems"], "v": r["valid"]} for r in rows]
    await session.execute(stmt, params)


async def project_agreements(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert or update each agreement's coverage; an older version arriving late changes nothing."""
    stmt = insert(agreement_coverage).values(rows)
    excluded = stmt.excluded
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[agreement_coverage.c.agreement_id],
            set_={c: excluded[c] for c in ("version", "name", "program", "partner_country", "valid_from", "valid_to")}
            | {"projected_at": func.now()},
            where=agreement_coverage.c.version < excluded.version,
        )
    )


async def covered_partners(session: AsyncSession, program: str, countries: list[str], on: date) -> set[str]:
    """The countries among `countries` that an agreement of `program` in force on `on` covers."""
    if not countries:
        return set()
    c = agreement_coverage.c
    stmt = select(c.partner_country).where(
        c.program == program,
        c.partner_country == any_array(countries, Text),
        c.valid_from <= on,
        or_(c.valid_to.is_(None), c.valid_to >= on),
    )
    return set((await session.execute(stmt)).scalars().all())


async def get_batch(session: AsyncSession, batch_id: uuid.UUID, *, for_update: bool = False) -> Any:
    stmt = select(batches).where(batches.c.id == batch_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def find_live_by_sha(session: AsyncSession, sha256: str) -> Any:
    """An earlier batch of the same file that was not rejected."""
    stmt = (
        select(batches.c.id, batches.c.status, batches.c.program)
        .where(batches.c.file_sha256 == sha256, batches.c.status != "rejected")
        .order_by(batches.c.created_at)
        .limit(1)
    )
    return (await session.execute(stmt)).mappings().first()


async def set_status(session: AsyncSession, batch_id: uuid.UUID, *, actor: str, **values: Any) -> None:
    stmt = update(batches).where(batches.c.id == batch_id)
    await session.execute(stmt.values(updated_at=func.now(), updated_by=actor, **values))


async def preview_rows(session: AsyncSession, batch_id: uuid.UUID, limit: int) -> list[Any]:
    stmt = select(staged_rows).where(staged_rows.c.batch_id == batch_id).order_by(staged_rows.c.row_number).limit(limit)
    return list((await session.execute(stmt)).mappings().all())


async def problems(session: AsyncSession, batch_id: uuid.UUID, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
    """Row problems in row order; paged by invalid row."""
    stmt = (
        select(staged_rows.c.problems)
        .where(staged_rows.c.batch_id == batch_id, staged_rows.c.valid.is_(False))
        .order_by(staged_rows.c.row_number)
        .limit(limit)
        .offset(offset)
    )
    return [p for (row_problems,) in (await session.execute(stmt)).all() for p in row_problems]


async def importable_rows(
    session: AsyncSession, batch_id: uuid.UUID, chunk: int = INSERT_CHUNK
) -> AsyncIterator[list[Any]]:
    """Valid, matched rows in row order, a chunk at a time (keyset pagination, bounded memory)."""
    last = 0
    while True:
        stmt = (
            select(staged_rows)
            .where(
                staged_rows.c.batch_id == batch_id,
                staged_rows.c.valid.is_(True),
                staged_rows.c.no_match.is_(False),
                staged_rows.c.row_number > last,
            )
            .order_by(staged_rows.c.row_number)
            .limit(chunk)
        )
        rows = list((await session.execute(stmt)).mappings().all())
        if not rows:
            return
        yield rows
        last = rows[-1]["row_number"]


def _importable(batch_id: uuid.UUID) -> Any:
    c = staged_rows.c
    return (c.batch_id == batch_id) & c.valid.is_(True) & c.no_match.is_(False)


async def count_importable(session: AsyncSession, batch_id: uuid.UUID) -> int:
    return int(await session.scalar(select(func.count()).select_from(staged_rows).where(_importable(batch_id))) or 0)


async def next_to_dispatch(session: AsyncSession) -> Any:
    """A confirmed batch with rows still to send; SKIP LOCKED, so replicas dispatch different batches."""
    stmt = (
        select(batches)
        .where(batches.c.status == "confirmed", batches.c.dispatched_at.is_(None))
        .order_by(batches.c.decided_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).mappings().first()


async def rows_after(session: AsyncSession, batch_id: uuid.UUID, after: int, limit: int) -> list[Any]:
    """Importable rows after a row number, in row order (the primary key's order)."""
    c = staged_rows.c
    # JSON columns come back as their text: a chunk embeds them without decoding and encoding each row again.
    stmt = (
        select(
            c.row_number,
            c.encounter_id,
            cast(c.raw, Text).label("raw"),
            cast(c.parsed, Text).label("parsed"),
            cast(c.extra, Text).label("extra"),
            c.subject_key,
        )
        .where(_importable(batch_id), c.row_number > after)
        .order_by(c.row_number)
        .limit(limit)
    )
    return list((await session.execute(stmt)).all())


async def known_batches(session: AsyncSession, batch_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    stmt = select(batches.c.id).where(batches.c.id == any_array(batch_ids, Uuid))
    return set((await session.execute(stmt)).scalars().all())


async def record_chunk_answers(session: AsyncSession, answers: list[dict[str, Any]]) -> list[tuple[uuid.UUID, int]]:
    """Insert cases' answers; returns the (batch, chunk) pairs that were new (a redelivery adds nothing)."""
    if not answers:
        return []
    stmt = insert(batch_chunks).values(answers).on_conflict_do_nothing()
    result = await session.execute(stmt.returning(batch_chunks.c.batch_id, batch_chunks.c.chunk))
    return [(r.batch_id, r.chunk) for r in result.all()]


async def add_progress(session: AsyncSession, batch_id: uuid.UUID, attached: int, failed: int) -> None:
    stmt = update(batches).where(batches.c.id == batch_id)
    await session.execute(
        stmt.values(rows_attached=batches.c.rows_attached + attached, rows_failed=batches.c.rows_failed + failed)
    )


async def record_failures(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(row_failures).values(rows).on_conflict_do_nothing())


async def failures(session: AsyncSession, batch_id: uuid.UUID, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
    c = row_failures.c
    stmt = (
        select(c.row_number, c.encounter_id, c.reason)
        .where(c.batch_id == batch_id)
        .order_by(c.row_number)
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in (await session.execute(stmt)).mappings().all()]


async def purge_decided_staging(session: AsyncSession, decided_before: Any, limit: int) -> list[uuid.UUID]:
    """Delete the staged rows of batches decided before a time (rejected, or confirmed and fully answered).

    The batch itself (counts, mapping, who decided, failures by row number) stays as the record of the import.
    """
    b = batches.c
    done = or_(
        b.status == "rejected",
        (b.status == "confirmed") & b.dispatched_at.is_not(None) & (b.rows_attached + b.rows_failed >= b.rows_imported),
    )
    ids = list(
        (
            await session.execute(
                select(b.id)
                .where(done, b.decided_at < decided_before, b.staging_purged_at.is_(None))
                .order_by(b.decided_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    if ids:
        await session.execute(staged_rows.delete().where(staged_rows.c.batch_id == any_array(ids, Uuid)))
        # The chunks carried the same rows: published (every row was answered), so their outbox copies go too.
        # `tracs replay` can no longer resend them; cases holds the rows.
        pending = pending_of(outbox)
        o = outbox.c
        for batch_id in ids:
            await session.execute(
                outbox.delete().where(
                    o.event_type == "EncountersImported",
                    o.key.startswith(f"{batch_id}/"),
                    o.id.not_in(select(pending.c.id)),
                )
            )
        await session.execute(update(batches).where(b.id == any_array(ids, Uuid)).values(staging_purged_at=func.now()))
    return ids
