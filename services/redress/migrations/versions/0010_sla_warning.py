"""requests remember which due date's nearing was announced (RedressSlaNearing, once per due date)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 23:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("redress_requests", sa.Column("sla_warned_for", sa.Date()))


def downgrade() -> None:
    op.drop_column("redress_requests", "sla_warned_for")
