"""names: terms of every romanisation convention, rigour's name symbols and metaphone keys (issue 33)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 17:00:00
"""

from collections.abc import Sequence

from alembic import op

from services.cases.db import name_keys

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The columns and indexes stay; only their contents change. Updating a GIN index row by row is slow, so
    # the terms index is dropped for the rewrite and built again after it.
    op.drop_index("ix_encounters_name_terms", table_name="encounters")
    name_keys.rebuild(op.get_bind())
    op.create_index("ix_encounters_name_terms", "encounters", ["name_terms"], postgresql_using="gin")
    op.execute("ANALYZE encounters")


def downgrade() -> None:
    # The older scheme's keys are a subset of these terms: searches still find what they found before.
    pass
