"""a legal hold may name one encounter (besides a subject or a case)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("legal_holds", sa.Column("encounter_id", sa.Uuid(), nullable=True))
    op.create_index("ix_legal_holds_encounter_id", "legal_holds", ["encounter_id"])


def downgrade() -> None:
    op.drop_index("ix_legal_holds_encounter_id", table_name="legal_holds")
    op.drop_column("legal_holds", "encounter_id")
