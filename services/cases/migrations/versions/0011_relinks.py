"""re-links: encounters moved by redress from the subject they were wrongly linked to; findings to verify again

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("findings", sa.Column("needs_review", sa.Text()))
    op.create_table(
        "relinks",
        sa.Column("relink_id", sa.Uuid(), primary_key=True),
        sa.Column("encounter_id", sa.Uuid(), primary_key=True),
        sa.Column("redress_id", sa.Uuid(), nullable=False),
        sa.Column("from_subject_id", sa.Uuid(), nullable=False),
        sa.Column("to_subject_id", sa.Uuid(), nullable=False),
        sa.Column("from_case_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("to_case_id", sa.Uuid(), nullable=False),
        sa.Column("undoes", sa.Uuid()),
        sa.Column("relinked_by", sa.Text(), nullable=False),
        sa.Column("relinked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_relinks_from_subject_id", "relinks", ["from_subject_id"])
    op.create_index("ix_relinks_to_subject_id", "relinks", ["to_subject_id"])


def downgrade() -> None:
    op.drop_table("relinks")
    op.drop_column("findings", "needs_review")
