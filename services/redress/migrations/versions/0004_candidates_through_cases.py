"""personal data stored once: redress drops its person index and searches candidates through cases

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 00:50:00

`person_index` was a copy of every imported record's names, DOB, documents and FIN (from EncounterImported).
Candidates are now found by cases' internal person search, with the same ranking; a linked record is kept as
its encounter id with the officer's note (`linked_records`), a correction with the record's data owner.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("person_index")  # its indexes go with it


def downgrade() -> None:
    """The table comes back empty (with 0003's columns and indexes): the copy cannot be rebuilt here."""
    op.create_table(
        "person_index",
        sa.Column("encounter_id", sa.Uuid(), nullable=False),
        sa.Column("subject_key", sa.Text(), nullable=False),
        sa.Column("fin", sa.Text(), nullable=True),
        sa.Column("name_search", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), server_default="", nullable=False),
        sa.Column("name_terms", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("names", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("dob", sa.Text(), nullable=True),
        sa.Column("documents", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("program", sa.Text(), nullable=False),
        sa.Column("data_owner", sa.Text(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("encounter_id"),
    )
    op.create_index("ix_person_index_fin", "person_index", ["fin"], unique=False)
    op.create_index("ix_person_index_subject_key", "person_index", ["subject_key"], unique=False)
    op.create_index("ix_person_index_name_terms", "person_index", ["name_terms"], postgresql_using="gin")
    op.create_index(
        "ix_person_index_name_key_trgm",
        "person_index",
        ["name_key"],
        postgresql_using="gin",
        postgresql_ops={"name_key": "gin_trgm_ops"},
    )
