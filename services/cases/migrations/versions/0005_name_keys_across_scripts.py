"""names across scripts: Latin key and whole-word terms (words, runs, consonant skeletons), with GIN indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 21:30:00
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared import names

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000

_READ = sa.text(
    "SELECT id, last_name, first_name, fields->>'middle_name' AS middle_name, ARRAY(SELECT "
    "jsonb_array_elements_text(CASE jsonb_typeof(fields->'aliases') WHEN 'array' THEN fields->'aliases' END)) "
    "AS aliases FROM encounters WHERE id > :after ORDER BY id LIMIT :n"
)
_WRITE = sa.text(
    "UPDATE encounters AS e SET name_search = v.s, name_key = v.k, name_terms = string_to_array(v.t, ' ') "
    "FROM unnest(:ids, :s, :k, :t) AS v(id, s, k, t) WHERE e.id = v.id"
).bindparams(
    sa.bindparam("ids", type_=postgresql.ARRAY(sa.Uuid())),
    *(sa.bindparam(p, type_=postgresql.ARRAY(sa.Text())) for p in ("s", "k", "t")),
)


def _backfill() -> None:
    """Keys of the rows already stored, a batch at a time. The folding is Python (anyascii), so this is too;
    terms never hold a space, so each row's array travels as one space-joined string."""
    bind = op.get_bind()
    after = uuid.UUID(int=0)
    while rows := bind.execute(_READ, {"after": after, "n": BATCH}).mappings().all():
        keys = [
            names.keys(
                {
                    "last_name": r["last_name"],
                    "first_name": r["first_name"],
                    "middle_name": r["middle_name"],
                    "aliases": r["aliases"],
                }
            )
            for r in rows
        ]
        bind.execute(
            _WRITE,
            {
                "ids": [r["id"] for r in rows],
                "s": [k.search for k in keys],
                "k": [k.key for k in keys],
                "t": [" ".join(k.terms) for k in keys],
            },
        )
        after = rows[-1]["id"]


def upgrade() -> None:
    op.add_column("encounters", sa.Column("name_key", sa.Text(), server_default="", nullable=False))
    op.add_column(
        "encounters", sa.Column("name_terms", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False)
    )
    # Indexes after the backfill: building one is far cheaper than updating it row by row.
    # A name's terms are rare elements: a 10x larger sample keeps them out of the planner's "common" guess
    # (at the default, a name matching 10 rows was estimated at 5,000 and planned as a sequential scan).
    op.execute("ALTER TABLE encounters ALTER COLUMN name_terms SET STATISTICS 1000")
    _backfill()
    op.drop_index("ix_encounters_name_trgm", table_name="encounters")
    op.create_index("ix_encounters_name_terms", "encounters", ["name_terms"], postgresql_using="gin")
    op.create_index(
        "ix_encounters_name_key_trgm",
        "encounters",
        ["name_key"],
        postgresql_using="gin",
        postgresql_ops={"name_key": "gin_trgm_ops"},
    )
    op.execute("ANALYZE encounters")


def downgrade() -> None:
    op.drop_index("ix_encounters_name_key_trgm", table_name="encounters")
    op.drop_index("ix_encounters_name_terms", table_name="encounters")
    op.create_index(
        "ix_encounters_name_trgm",
        "encounters",
        ["name_search"],
        postgresql_using="gin",
        postgresql_ops={"name_search": "gin_trgm_ops"},
    )
    op.drop_column("encounters", "name_terms")
    op.drop_column("encounters", "name_key")
