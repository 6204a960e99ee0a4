"""The statements cases itself sends for a case-list search, captured from its own query code, so that the "direct
SQL" baseline of benchmarks/cases_lookup.py is the same query (same statements, binds, LIMIT and plan) and not a
hand-written equivalent.

A name search is two statements in cases (`services/cases/db/search.py: _rank_all`): the matching encounter ids,
then the ranked page built from them. They are captured once per searched value, before anything is timed, by
running cases' `list_cases` on a real engine and recording what SQLAlchemy hands asyncpg; the baseline then sends
the same text and parameters straight through asyncpg (prepared, as SQLAlchemy's asyncpg dialect does). The data
does not change during the benchmark, so the ids the second statement was captured with are the ids the first
one returns.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import asyncpg
import orjson
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.db import search as queries
from shared import names
from shared.db import create_engine
from shared.policy import CASE_PROGRAMS

Statements = list[tuple[str, tuple[Any, ...]]]


def programs_of(token: str) -> frozenset[str]:
    """The case programs the token's holder may see, as cases scopes its queries (`policy.scope_to`)."""
    payload = token.split(".")[1]
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return frozenset(claims.get("programs", ())) & CASE_PROGRAMS


async def capture(url: str, programs: frozenset[str], values: Sequence[str], limit: int = 50) -> dict[str, Statements]:
    """Per name searched, the statements (text, parameters) cases runs for its first page of `limit` cases."""
    engine = create_engine(url, pool_size=1)
    sent: Statements = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        sent.append((statement, tuple(parameters or ())))

    out: dict[str, Statements] = {}
    try:
        async with engine.connect() as conn:
            session = AsyncSession(bind=conn)
            for value in dict.fromkeys(values):
                sent.clear()
                await queries.list_cases(
                    session,
                    filters={},
                    name=names.NameQuery.parse(value),
                    after=None,
                    limit=limit + 1,  # as services/cases/search.py asks: one more tells whether a next page exists
                    programs=programs,
                )
                out[value] = list(sent)
            await session.close()
    finally:
        await engine.dispose()
    return out


async def run(conn: asyncpg.Connection, statements: Statements) -> list[Any]:
    """The captured statements in order, as cases sends them; the last one's rows."""
    rows: list[Any] = []
    for sql, params in statements:
        rows = await conn.fetch(sql, *params)
    return rows
