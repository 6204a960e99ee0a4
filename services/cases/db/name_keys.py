"""Rebuild the stored name keys of every encounter (`shared.names.keys`), a batch at a time: a migration runs this
whenever the key scheme changes. The folding is Python, so the batches travel through Python."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from shared import names

BATCH = 5000

_READ = sa.text(
    "SELECT id, last_name, first_name, fields->>'middle_name' AS middle_name, ARRAY(SELECT "
    "jsonb_array_elements_text(CASE jsonb_typeof(fields->'aliases') WHEN 'array' THEN fields->'aliases' END)) "
    "AS aliases FROM encounters WHERE id > :after ORDER BY id LIMIT :n"
)
# Terms never hold a space, so each row's array travels as one space-joined string.
_WRITE = sa.text(
    "UPDATE encounters AS e SET name_search = v.s, name_key = v.k, name_terms = string_to_array(v.t, ' ') "
    "FROM unnest(:ids, :s, :k, :t) AS v(id, s, k, t) WHERE e.id = v.id"
).bindparams(
    sa.bindparam("ids", type_=postgresql.ARRAY(sa.Uuid())),
    *(sa.bindparam(p, type_=postgresql.ARRAY(sa.Text())) for p in ("s", "k", "t")),
)


def rebuild(bind: Any, batch: int = BATCH) -> int:
    """Recompute every encounter's name keys by keyset pages of `batch` rows (one UPDATE per page); returns
    how many rows were rewritten. Keys are cached per distinct name, so repeated names cost nothing."""
    after, done = uuid.UUID(int=0), 0
    while rows := bind.execute(_READ, {"after": after, "n": batch}).mappings().all():
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
        after, done = rows[-1]["id"], done + len(rows)
    return done
