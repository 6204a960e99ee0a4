"""personal data stored once: disclosure drops its copies of imported values and findings

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 00:40:00

A draft (and its send) now asks cases' internal API for the case's current values, flags and findings, so
`encounter_values` (every imported field, from EncounterImported) and `case_findings` go. What disclosure keeps
of personal data is what it released: drafts and the accounting of what was sent.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("encounter_values")
    op.drop_index("ix_case_findings_case_id", table_name="case_findings")
    op.drop_table("case_findings")


def downgrade() -> None:
    """The tables come back empty: the copies cannot be rebuilt here (they would have to be replayed)."""
    op.create_table(
        "case_findings",
        sa.Column("finding_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("accurate_as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("encounter_ids", sa.ARRAY(sa.Uuid()), nullable=False),
        sa.PrimaryKeyConstraint("finding_id"),
    )
    op.create_index("ix_case_findings_case_id", "case_findings", ["case_id"], unique=False)
    op.create_table(
        "encounter_values",
        sa.Column("encounter_id", sa.Uuid(), nullable=False),
        sa.Column("fields", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("encounter_id"),
    )
