"""retention applied in disclosure: cases' legal holds as they reach it

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 23:00:00.000000
"""

from collections.abc import Sequence

from shared.migrations import create_hold_table

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_hold_table()


def downgrade() -> None:
    from alembic import op

    op.drop_table("legal_holds")
