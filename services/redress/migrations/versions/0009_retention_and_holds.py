"""retention applied in redress: cases' legal holds as they reach it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 23:00:00.000000
"""

from collections.abc import Sequence

from shared.migrations import create_hold_table

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_hold_table()


def downgrade() -> None:
    from alembic import op

    op.drop_table("legal_holds")
