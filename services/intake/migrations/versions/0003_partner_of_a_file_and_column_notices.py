"""the partner of a file, per-column notices, and which partners agreements cover

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "batches",
        sa.Column("column_notices", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
    )
    op.add_column("batches", sa.Column("partner_country", sa.Text(), nullable=True))
    op.add_column(
        "batches", sa.Column("partners", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False)
    )
    op.add_column("batches", sa.Column("rows_without_partner", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "agreement_coverage",
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("program", sa.Text(), nullable=False),
        sa.Column("partner_country", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("projected_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("agreement_id"),
    )
    op.create_index(
        "ix_agreement_coverage_program_partner", "agreement_coverage", ["program", "partner_country"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_agreement_coverage_program_partner", table_name="agreement_coverage")
    op.drop_table("agreement_coverage")
    op.drop_column("batches", "rows_without_partner")
    op.drop_column("batches", "partners")
    op.drop_column("batches", "partner_country")
    op.drop_column("batches", "column_notices")
