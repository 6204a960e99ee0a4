"""agreement versions are drafts until a privacy officer approves them; only the approved one governs

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANDFATHERED = "in effect before versions needed approval (disclosure migration 0009)"


def upgrade() -> None:
    op.add_column("agreement_versions", sa.Column("status", sa.Text(), nullable=False, server_default="approved"))
    op.add_column("agreement_versions", sa.Column("reviewed_by", sa.Text()))
    op.add_column("agreement_versions", sa.Column("reviewed_at", sa.DateTime(timezone=True)))
    op.add_column("agreement_versions", sa.Column("review_note", sa.Text()))
    op.add_column("agreements", sa.Column("approved_version", sa.Integer()))
    # Versions saved before this revision took effect when saved: the newest stays in force, older ones retired.
    op.execute("UPDATE agreements SET approved_version = current_version")
    op.execute(
        sa.text(
            "UPDATE agreement_versions v SET status = CASE WHEN v.version = a.current_version THEN 'approved' "
            "ELSE 'retired' END, review_note = :note FROM agreements a WHERE a.id = v.agreement_id"
        ).bindparams(note=GRANDFATHERED)
    )
    op.alter_column("agreement_versions", "status", server_default="draft")
    op.create_check_constraint(
        "ck_agreement_versions_status", "agreement_versions", "status IN ('draft', 'approved', 'rejected', 'retired')"
    )


def downgrade() -> None:
    op.drop_constraint("ck_agreement_versions_status", "agreement_versions")
    op.drop_column("agreements", "approved_version")
    for column in ("review_note", "reviewed_at", "reviewed_by", "status"):
        op.drop_column("agreement_versions", column)
