"""publishing marks a narrow pending row, not the outbox row

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Bulk path v2: publishing deletes a narrow pending row instead of rewriting the outbox row's body.
    op.create_table(
        "outbox_pending",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(
        "INSERT INTO outbox_pending (id, created_at) SELECT id, created_at FROM outbox WHERE published_at IS NULL"
    )
    op.drop_index("ix_outbox_unpublished", table_name="outbox", postgresql_where=sa.text("published_at IS NULL"))
    op.drop_column("outbox", "published_at")
    # Bodies stored out of line but not compressed: pglz cost more CPU than the disk it saved.
    op.execute("ALTER TABLE outbox ALTER COLUMN body SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.add_column("outbox", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE outbox SET published_at = now() WHERE id NOT IN (SELECT id FROM outbox_pending)")
    op.create_index(
        "ix_outbox_unpublished", "outbox", ["id"], unique=False, postgresql_where=sa.text("published_at IS NULL")
    )
    op.drop_table("outbox_pending")
    op.execute("ALTER TABLE outbox ALTER COLUMN body SET STORAGE EXTENDED")
