"""audit sequencer: entries appended unchained, linked and signed off the request path

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 00:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

from shared.audit import SEQUENCER_DOWNGRADE, SEQUENCER_UPGRADE

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing entries keep their chain (seq renumbered 1..n); new ones wait for the sequencer (shared/audit.py).
    for statement in SEQUENCER_UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in SEQUENCER_DOWNGRADE:
        op.execute(statement)
