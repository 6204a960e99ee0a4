"""referrals and notices to data owners with their replies; agreements for domestic recipients and use limits

Revision ID: 0009_owners
Revises: 0008
Create Date: 2026-12-04 17:00:00.000000
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
    op.alter_column("agreement_versions", "partner_country", nullable=True)
    op.add_column(
        "agreement_versions",
        sa.Column("recipient_kind", sa.Text(), nullable=False, server_default="foreign-partner"),
    )
    op.add_column("agreement_versions", sa.Column("use_limits", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "referrals",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("encounter_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("recipient_org", sa.Text(), nullable=False, index=True),
        sa.Column("recipient_id", sa.Uuid(), sa.ForeignKey("recipients.id")),
        sa.Column("draft_id", sa.Uuid(), sa.ForeignKey("drafts.id"), unique=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reply_within_days", sa.Integer(), nullable=False),
        sa.Column("reply_decision", sa.Text()),
        sa.Column("reply_note", sa.Text()),
        sa.Column("replied_on", sa.Date()),
        sa.Column("reply_recorded_by", sa.Text()),
        sa.Column("reply_recorded_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("created_by", sa.Text(), nullable=False),
    )
    op.create_table(
        "removal_notices",
        sa.Column("encounter_id", sa.Uuid(), primary_key=True),
        sa.Column("accounting_id", sa.Uuid(), sa.ForeignKey("accounting.id"), primary_key=True),
        sa.Column("referral_id", sa.Uuid()),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recipient_email", sa.Text(), nullable=False),
        sa.Column("recipient_agency", sa.Text(), nullable=False),
        sa.Column("disclosed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("removal_notices")
    op.drop_table("referrals")
    op.drop_column("agreement_versions", "use_limits")
    op.drop_column("agreement_versions", "recipient_kind")
    op.alter_column("agreement_versions", "partner_country", nullable=False)
