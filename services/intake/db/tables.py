"""Intake's tables: batches, their staged rows, cases' answers per chunk, and the agreements projection."""

from __future__ import annotations

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
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSON, JSONB

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
