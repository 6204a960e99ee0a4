"""publishing marks a narrow pending row, not the outbox row

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 00:30:00
"""

from collections.abc import Sequence

from shared.migrations import outbox_pending_downgrade, outbox_pending_upgrade

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    outbox_pending_upgrade()


def downgrade() -> None:
    outbox_pending_downgrade()
