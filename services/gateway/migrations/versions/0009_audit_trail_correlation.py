"""audit_trail: an index on correlation_id, so the calls behind one user action are found together (issue 31)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 00:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_trail_correlation", "audit_trail", ["correlation_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_trail_correlation", table_name="audit_trail")
