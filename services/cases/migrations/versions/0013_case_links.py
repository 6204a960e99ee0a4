"""case links: an extract request's case and the query case it follows, both ways (issue 27)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_links",
        sa.Column("case_id", sa.Uuid(), sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("linked_case_id", sa.Uuid(), sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_case_links_linked_case_id", "case_links", ["linked_case_id"])


def downgrade() -> None:
    op.drop_table("case_links")
