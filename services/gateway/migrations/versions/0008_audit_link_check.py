"""audit trail: the sequencer's one-time linking checked row by row instead of as JSON (same rule, cheaper)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 23:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

from shared.audit import LINK_CHECK_DOWNGRADE, LINK_CHECK_UPGRADE

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Only the trigger function changes: no row is touched (shared/audit.py APPEND_ONLY_DDL says why).
    for statement in LINK_CHECK_UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in LINK_CHECK_DOWNGRADE:
        op.execute(statement)
