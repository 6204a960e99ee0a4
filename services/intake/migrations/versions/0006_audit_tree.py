"""audit trail as an RFC 9162 Merkle tree: its complete subtrees and its signed checkpoint notes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 17:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

from shared.audit_tree import TREE_DDL, TREE_DOWNGRADE

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing entries join the tree from the sequencer's next rounds (shared/audit_sequencer.py).
    for statement in TREE_DDL:
        op.execute(statement)


def downgrade() -> None:
    for statement in TREE_DOWNGRADE:
        op.execute(statement)
