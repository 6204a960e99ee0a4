"""staff: the gateway's logins as cases needs them to check an assignee (issue 27)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 17:00:00

Filled from `StaffChanged` events (the gateway publishes one per login it creates, and for every development
login it seeds at start), so it starts empty and fills as soon as cases reads the topic.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("username", sa.Text(), primary_key=True),
        sa.Column("roles", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("programs", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff")
