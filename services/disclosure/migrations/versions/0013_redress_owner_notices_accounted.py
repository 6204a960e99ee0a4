"""redress's notices to system owners are accounted: accounting rows without a draft

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Columns only a draft's send fills; a redress owner notice has no draft, recipient person or agreement.
DRAFT_ONLY = (
    ("draft_id", sa.Uuid()),
    ("case_id", sa.Uuid()),
    ("recipient_id", sa.Uuid()),
    ("recipient_person", sa.Text()),
    ("recipient_email", sa.Text()),
    ("agreement_id", sa.Uuid()),
    ("agreement_version", sa.Integer()),
    ("digest", sa.Text()),
)
SOURCE = (
    "(draft_id IS NOT NULL AND case_id IS NOT NULL AND recipient_id IS NOT NULL AND recipient_person IS NOT NULL"
    " AND recipient_email IS NOT NULL AND agreement_id IS NOT NULL AND agreement_version IS NOT NULL"
    " AND digest IS NOT NULL AND kind IS NULL)"
    " OR (draft_id IS NULL AND kind = 'redress-owner-notice' AND owner_notice_id IS NOT NULL)"
)


def upgrade() -> None:
    op.add_column("accounting", sa.Column("kind", sa.Text(), nullable=True))
    op.add_column("accounting", sa.Column("owner_notice_id", sa.Uuid(), nullable=True))
    op.add_column("accounting", sa.Column("redress_id", sa.Uuid(), nullable=True))
    for name, type_ in DRAFT_ONLY:
        op.alter_column("accounting", name, existing_type=type_, nullable=True)
    op.create_check_constraint("ck_accounting_source", "accounting", SOURCE)
    op.create_index(
        "uq_accounting_owner_notice",
        "accounting",
        ["owner_notice_id", "subject_id"],
        unique=True,
        postgresql_where=sa.text("owner_notice_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.execute("DELETE FROM accounting WHERE draft_id IS NULL")
    op.drop_index("uq_accounting_owner_notice", table_name="accounting")
    op.drop_constraint("ck_accounting_source", "accounting", type_="check")
    for name, type_ in DRAFT_ONLY:
        op.alter_column("accounting", name, existing_type=type_, nullable=False)
    op.drop_column("accounting", "redress_id")
    op.drop_column("accounting", "owner_notice_id")
    op.drop_column("accounting", "kind")
