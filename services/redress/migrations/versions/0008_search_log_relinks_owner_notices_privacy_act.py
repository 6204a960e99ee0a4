"""redress to the end: the search log, re-links, notices to system owners, Privacy Act requests

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "redress_searches",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("redress_id", sa.Uuid(), sa.ForeignKey("redress_requests.id"), nullable=False),
        sa.Column("system", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("searched_by", sa.Text(), nullable=False),
        sa.Column("searched_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_redress_searches_redress_id", "redress_searches", ["redress_id"])
    op.create_table(
        "relinks",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("redress_id", sa.Uuid(), sa.ForeignKey("redress_requests.id"), nullable=False),
        sa.Column("encounter_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("from_subject_id", sa.Uuid(), nullable=False),
        sa.Column("to_subject_id", sa.Uuid(), nullable=False),
        sa.Column("new_subject", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("undoes", sa.Uuid()),
        sa.Column("undone_by", sa.Uuid()),
        sa.Column("decided_by", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_relinks_redress_id", "relinks", ["redress_id"])
    op.create_table(
        "owner_notices",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("redress_id", sa.Uuid(), sa.ForeignKey("redress_requests.id"), nullable=False),
        sa.Column("data_owner", sa.Text(), nullable=False),
        sa.Column("discrepancy", sa.Text(), nullable=False),
        sa.Column("encounter_ids", postgresql.ARRAY(sa.Uuid()), nullable=False, server_default="{}"),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("sent_by", sa.Text(), nullable=False),
        sa.Column("reply", sa.Text()),
        sa.Column("replied_on", sa.Date()),
        sa.Column("reply_recorded_by", sa.Text()),
        sa.Column("decision", sa.Text()),
        sa.Column("decided_by", sa.Text()),
        sa.Column("decision_recorded_by", sa.Text()),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_owner_notices_redress_id", "owner_notices", ["redress_id"])
    op.create_table(
        "privacy_act_requests",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("requester", postgresql.JSONB(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("acknowledge_by", sa.Date()),
        sa.Column("records_sought", sa.Text(), nullable=False),
        sa.Column("contested_information", sa.Text()),
        sa.Column("reason", sa.Text()),
        sa.Column("proposed_amendment", sa.Text()),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("exemption", sa.Text()),
        sa.Column("exemption_basis", sa.Text()),
        sa.Column("exemption_reviewed_by", sa.Text()),
        sa.Column("exemption_reviewed_at", sa.DateTime(timezone=True)),
        sa.Column("decision", sa.Text()),
        sa.Column("decision_reason", sa.Text()),
        sa.Column("decided_by", sa.Text()),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("response", postgresql.JSONB()),
        sa.Column("responded_on", sa.Date()),
        sa.Column("appealed_on", sa.Date()),
        sa.Column("appeal_due_on", sa.Date()),
        sa.Column("appeal_reason", sa.Text()),
        sa.Column("appeal_decision", sa.Text()),
        sa.Column("appeal_decision_reason", sa.Text()),
        sa.Column("appeal_decided_by", sa.Text()),
        sa.Column("appeal_decided_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "privacy_act_timeline",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("request_id", sa.Uuid(), sa.ForeignKey("privacy_act_requests.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("detail", postgresql.JSONB(), nullable=False),
    )
    op.create_index("ix_privacy_act_timeline_request_id", "privacy_act_timeline", ["request_id"])


def downgrade() -> None:
    for table in ("privacy_act_timeline", "privacy_act_requests", "owner_notices", "relinks", "redress_searches"):
        op.drop_table(table)
