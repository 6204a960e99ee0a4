"""users carry their privacy training and clearance dates (access lapses with training)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("training_completed_on", sa.Date()))
    op.add_column("users", sa.Column("clearance_granted_on", sa.Date()))
    op.add_column("users", sa.Column("clearance_expires_on", sa.Date()))
    # Logins that exist before this revision keep working for a year from the upgrade: their training was
    # tracked outside TRACS until now, and an admin records the real dates in that year.
    op.execute("UPDATE users SET training_completed_on = current_date")


def downgrade() -> None:
    op.drop_column("users", "clearance_expires_on")
    op.drop_column("users", "clearance_granted_on")
    op.drop_column("users", "training_completed_on")
