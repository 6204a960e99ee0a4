"""names across scripts: the person index gets cases' name keys (Latin key, whole-word terms) and GIN indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 21:40:00
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared import names

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000

_READ = sa.text(
    "SELECT encounter_id AS id, name_search FROM person_index WHERE encounter_id > :after ORDER BY encounter_id "
    "LIMIT :n"
)
_WRITE = sa.text(
    "UPDATE person_index AS p SET name_search = v.s, name_key = v.k, name_terms = string_to_array(v.t, ' ') "
    "FROM unnest(:ids, :s, :k, :t) AS v(id, s, k, t) WHERE p.encounter_id = v.id"
).bindparams(
    sa.bindparam("ids", type_=postgresql.ARRAY(sa.Uuid())),
    *(sa.bindparam(p, type_=postgresql.ARRAY(sa.Text())) for p in ("s", "k", "t")),
)


def _backfill() -> None:
    """Rows indexed so far kept only their folded names (own script, one string): the keys are rebuilt from
    that, and `names` stays null (their match reason names the field "names")."""
    bind = op.get_bind()
    after = uuid.UUID(int=0)
    while rows := bind.execute(_READ, {"after": after, "n": BATCH}).mappings().all():
        keys = [names.keys([r["name_search"]]) for r in rows]
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
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.add_column("person_index", sa.Column("name_key", sa.Text(), server_default="", nullable=False))
    op.add_column(
        "person_index", sa.Column("name_terms", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False)
    )
    op.add_column("person_index", sa.Column("names", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    # A name's terms are rare elements: a 10x larger sample keeps them out of the planner's "common" guess
    # (at the default, a name matching 10 rows was estimated at 5,000 and planned as a sequential scan).
    op.execute("ALTER TABLE person_index ALTER COLUMN name_terms SET STATISTICS 1000")
    _backfill()
    op.create_index("ix_person_index_name_terms", "person_index", ["name_terms"], postgresql_using="gin")
    op.create_index(
        "ix_person_index_name_key_trgm",
        "person_index",
        ["name_key"],
        postgresql_using="gin",
        postgresql_ops={"name_key": "gin_trgm_ops"},
    )
    op.execute("ANALYZE person_index")


def downgrade() -> None:
    op.drop_index("ix_person_index_name_key_trgm", table_name="person_index")
    op.drop_index("ix_person_index_name_terms", table_name="person_index")
    op.drop_column("person_index", "names")
    op.drop_column("person_index", "name_terms")
    op.drop_column("person_index", "name_key")
