"""account for a disclosure before it leaves: pending, sent or failed, with the sealed message

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 10:00:00

Rows already stored were written after their message was delivered: they are `sent`, delivered when sent.
A draft keeps at most one pending-or-sent accounting row; failed attempts may accumulate beside it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("accounting", sa.Column("state", sa.Text(), server_default="sent", nullable=False))
    op.add_column("accounting", sa.Column("message_id", sa.Text(), nullable=True))
    op.add_column("accounting", sa.Column("message_digest", sa.Text(), nullable=True))
    op.add_column("accounting", sa.Column("message", sa.LargeBinary(), nullable=True))
    op.add_column("accounting", sa.Column("on_sent", postgresql.JSONB(), nullable=True))
    op.add_column("accounting", sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("accounting", sa.Column("failure", sa.Text(), nullable=True))
    op.execute("UPDATE accounting SET delivered_at = sent_at")
    op.drop_constraint("accounting_draft_id_key", "accounting", type_="unique")
    op.create_index(
        "uq_accounting_draft_accounted",
        "accounting",
        ["draft_id"],
        unique=True,
        postgresql_where=sa.text("state <> 'failed'"),
    )
    op.create_index("ix_accounting_pending", "accounting", ["id"], postgresql_where=sa.text("state = 'pending'"))


def downgrade() -> None:
    op.drop_index("ix_accounting_pending", table_name="accounting")
    op.drop_index("uq_accounting_draft_accounted", table_name="accounting")
    op.execute("DELETE FROM accounting WHERE state = 'failed'")
    op.create_unique_constraint("accounting_draft_id_key", "accounting", ["draft_id"])
    for column in ("failure", "delivered_at", "on_sent", "message", "message_digest", "message_id", "state"):
        op.drop_column("accounting", column)
