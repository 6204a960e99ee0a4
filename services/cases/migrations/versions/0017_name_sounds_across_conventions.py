"""names: double metaphone keys, spellings across conventions, Hebrew skeletons from the letters (issue 33)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 23:30:00
"""

from collections.abc import Sequence

from alembic import op

from services.cases.db import name_keys

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # As 0010: the columns and indexes stay, their contents are recomputed; the GIN index is built once after.
    op.drop_index("ix_encounters_name_terms", table_name="encounters")
    name_keys.rebuild(op.get_bind())
    op.create_index("ix_encounters_name_terms", "encounters", ["name_terms"], postgresql_using="gin")
    op.execute("ANALYZE encounters")


def downgrade() -> None:
    # The older code looks up terms these rows still hold (own-script words, Latin words, symbols); its
    # metaphone keys are gone, so its "sounds alike" finds less until the keys are rebuilt by that code.
    pass
