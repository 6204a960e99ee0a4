"""audit sequencer: entries appended unchained, linked and signed off the request path

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.audit import SEQUENCER_DOWNGRADE, SEQUENCER_UPGRADE

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing entries keep their chain (seq renumbered 1..n); new ones wait for the sequencer (shared/audit.py).
    for statement in SEQUENCER_UPGRADE:
        op.execute(statement)
    op.create_table(
        "audit_checkpoints",
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("service", "size"),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
    for statement in SEQUENCER_DOWNGRADE:
        op.execute(statement)
