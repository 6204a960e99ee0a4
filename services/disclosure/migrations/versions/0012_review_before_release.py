"""drafts need a second person's approval; readiness overrides, no-match responses and repeat reasons

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("drafts", sa.Column("matched", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column("drafts", sa.Column("readiness_override", postgresql.JSONB(), nullable=True))
    op.add_column("drafts", sa.Column("repeat_reason", sa.Text(), nullable=True))
    op.add_column("drafts", sa.Column("approvals_required", sa.Integer(), nullable=False, server_default="1"))
    # The two-person rule made stricter by an agreement: approvals a response under it needs (at least 1).
    op.add_column(
        "agreement_versions", sa.Column("approvals_required", sa.Integer(), nullable=False, server_default="1")
    )
    op.add_column("accounting", sa.Column("repeat_reason", sa.Text(), nullable=True))
    op.add_column("accounting", sa.Column("approved_by", postgresql.ARRAY(sa.Text()), nullable=True))
    op.create_table(
        "draft_reviews",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("draft_id", sa.Uuid(), sa.ForeignKey("drafts.id"), nullable=False, index=True),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("body_digest", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("draft_reviews")
    op.drop_column("accounting", "approved_by")
    op.drop_column("accounting", "repeat_reason")
    op.drop_column("agreement_versions", "approvals_required")
    op.drop_column("drafts", "approvals_required")
    op.drop_column("drafts", "repeat_reason")
    op.drop_column("drafts", "readiness_override")
    op.drop_column("drafts", "matched")
