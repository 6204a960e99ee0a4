"""encounters of a batch in row order: one index serves the filter and the order

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_encounters_batch_page", "encounters", ["batch_id", "row_number", "id"], unique=False)
    op.drop_index("ix_encounters_batch_id", table_name="encounters")


def downgrade() -> None:
    op.create_index("ix_encounters_batch_id", "encounters", ["batch_id"], unique=False)
    op.drop_index("ix_encounters_batch_page", table_name="encounters")
