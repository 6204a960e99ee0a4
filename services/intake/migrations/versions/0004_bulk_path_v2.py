"""rows travel in chunks; publishing marks a narrow pending row

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.migrations import outbox_pending_downgrade, outbox_pending_upgrade

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    outbox_pending_upgrade()

    # Bulk path v2: the dispatcher's cursor, cases' answers per chunk, failed rows, the staging purge.
    op.add_column("batches", sa.Column("dispatched_through", sa.Integer(), server_default="0", nullable=False))
    op.add_column("batches", sa.Column("chunks_dispatched", sa.Integer(), server_default="0", nullable=False))
    op.add_column("batches", sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("batches", sa.Column("rows_attached", sa.Integer(), server_default="0", nullable=False))
    op.add_column("batches", sa.Column("rows_failed", sa.Integer(), server_default="0", nullable=False))
    op.add_column("batches", sa.Column("staging_purged_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("batches", sa.Column("confirm_correlation_id", sa.Text(), nullable=True))
    # Batches confirmed before chunks left as one event per row, all published at confirm: nothing to send,
    # and their progress is not known row by row, so they read as done.
    op.execute(
        "UPDATE batches SET dispatched_at = decided_at, rows_attached = rows_imported, "
        "dispatched_through = (SELECT coalesce(max(row_number), 0) FROM staged_rows s WHERE s.batch_id = batches.id) "
        "WHERE status = 'confirmed'"
    )
    # Staged cells as json (text kept as written), not jsonb: COPY does not parse them into binary form, and
    # the dispatcher sends the text as it is.
    for column in ("raw", "parsed", "extra", "problems"):
        op.execute(f"ALTER TABLE staged_rows ALTER COLUMN {column} TYPE json USING {column}::json")
    # The key a chunk's row travels with, computed once at upload (reading it back out of json costs a parse).
    op.add_column("staged_rows", sa.Column("subject_key", sa.Text(), nullable=True))
    op.execute(
        "UPDATE staged_rows SET subject_key = CASE WHEN parsed->>'fin' IS NOT NULL THEN 'FIN:' || (parsed->>'fin') "
        "WHEN parsed->>'partner_unique_id' IS NOT NULL THEN 'PARTNER:' || coalesce(parsed->>'partner_country', '---') "
        "|| ':' || (parsed->>'partner_unique_id') END WHERE valid AND NOT no_match"
    )
    op.create_index(
        "ix_staged_rows_invalid", "staged_rows", ["batch_id", "row_number"], postgresql_where=sa.text("valid IS false")
    )
    op.create_table(
        "batch_chunks",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("rows_attached", sa.Integer(), nullable=False),
        sa.Column("rows_failed", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("batch_id", "chunk"),
    )
    op.create_table(
        "row_failures",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("encounter_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("batch_id", "row_number"),
    )


def downgrade() -> None:
    op.drop_table("row_failures")
    op.drop_table("batch_chunks")
    op.drop_index("ix_staged_rows_invalid", table_name="staged_rows", postgresql_where=sa.text("valid IS false"))
    op.drop_column("staged_rows", "subject_key")
    for column in ("raw", "parsed", "extra", "problems"):
        op.execute(f"ALTER TABLE staged_rows ALTER COLUMN {column} TYPE jsonb USING {column}::jsonb")
    for name in (
        "confirm_correlation_id",
        "staging_purged_at",
        "rows_failed",
        "rows_attached",
        "dispatched_at",
        "chunks_dispatched",
        "dispatched_through",
    ):
        op.drop_column("batches", name)
    outbox_pending_downgrade()
