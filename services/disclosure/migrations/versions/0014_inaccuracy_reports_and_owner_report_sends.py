"""a recipient's reports of possible inaccuracies; owners' reports sent as accounted disclosures

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_SOURCE = (
    "(draft_id IS NOT NULL AND case_id IS NOT NULL AND recipient_id IS NOT NULL AND recipient_person IS NOT NULL"
    " AND recipient_email IS NOT NULL AND agreement_id IS NOT NULL AND agreement_version IS NOT NULL"
    " AND digest IS NOT NULL AND kind IS NULL)"
    " OR (draft_id IS NULL AND kind = 'redress-owner-notice' AND owner_notice_id IS NOT NULL)"
)
SOURCE = OLD_SOURCE + (
    " OR (draft_id IS NULL AND kind = 'owner-report' AND report_id IS NOT NULL AND recipient_id IS NOT NULL"
    " AND agreement_id IS NOT NULL AND agreement_version IS NOT NULL AND digest IS NOT NULL)"
)


def upgrade() -> None:
    op.add_column("accounting", sa.Column("report_id", sa.Uuid(), nullable=True))
    op.create_index("ix_accounting_report_id", "accounting", ["report_id"])
    op.drop_constraint("ck_accounting_source", "accounting", type_="check")
    op.create_check_constraint("ck_accounting_source", "accounting", SOURCE)
    op.alter_column("correction_notices", "redress_id", existing_type=sa.Uuid(), nullable=True)
    op.add_column("correction_notices", sa.Column("report_id", sa.Uuid(), nullable=True))
    op.create_index("ix_correction_notices_report_id", "correction_notices", ["report_id"])
    op.create_table(
        "inaccuracy_reports",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("accounting_id", sa.Uuid(), sa.ForeignKey("accounting.id"), nullable=False, index=True),
        sa.Column("case_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("encounter_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("recipient_id", sa.Uuid(), sa.ForeignKey("recipients.id"), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_agency", sa.Text(), nullable=False),
        sa.Column("field", sa.Text()),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("resolution", sa.Text()),
        sa.Column("resolution_note", sa.Text()),
        sa.Column("resolved_by", sa.Text()),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("correction_id", sa.Uuid(), unique=True),
        sa.Column("corrected_field", sa.Text()),
        sa.Column("data_owner", sa.Text()),
        sa.Column("correction_applied_at", sa.DateTime(timezone=True)),
        sa.Column("answer_draft_id", sa.Uuid(), sa.ForeignKey("drafts.id"), unique=True),
        sa.CheckConstraint(
            "resolution IS NULL OR resolution IN ('correction', 'no-change')", name="ck_inaccuracy_resolution"
        ),
    )
    op.create_table(
        "owner_report_sends",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), sa.ForeignKey("recipients.id"), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("agreement_version", sa.Integer(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("items", postgresql.JSONB(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("approvals_required", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("sent_by", sa.Text()),
        sa.Column("message_id", sa.Text()),
        sa.Column("message", sa.LargeBinary()),
        sa.Column("failure", sa.Text()),
    )
    op.create_table(
        "owner_report_reviews",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("report_id", sa.Uuid(), sa.ForeignKey("owner_report_sends.id"), nullable=False, index=True),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text()),
        sa.Column("body_digest", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("owner_report_reviews")
    op.execute("DELETE FROM accounting WHERE kind = 'owner-report'")
    op.drop_table("owner_report_sends")
    op.drop_table("inaccuracy_reports")
    op.execute("DELETE FROM correction_notices WHERE redress_id IS NULL")
    op.drop_index("ix_correction_notices_report_id", table_name="correction_notices")
    op.drop_column("correction_notices", "report_id")
    op.alter_column("correction_notices", "redress_id", existing_type=sa.Uuid(), nullable=False)
    op.drop_constraint("ck_accounting_source", "accounting", type_="check")
    op.create_check_constraint("ck_accounting_source", "accounting", OLD_SOURCE)
    op.drop_index("ix_accounting_report_id", table_name="accounting")
    op.drop_column("accounting", "report_id")
