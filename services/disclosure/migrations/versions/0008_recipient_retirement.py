"""recipients can be retired: kept for the accounting, never sent to again

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("recipients", sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("recipients", sa.Column("retired_by", sa.Text(), nullable=True))
    op.add_column("recipients", sa.Column("retired_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("recipients", "retired_reason")
    op.drop_column("recipients", "retired_by")
    op.drop_column("recipients", "retired_at")
