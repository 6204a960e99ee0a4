"""Queries of counting.py: counters bumped in bulk (ON CONFLICT adds), subject digests, redress facts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.db.tables import (
    daily_counts,
    owner_counts,
    program_days,
    redress_days,
    redress_facts,
)
from shared.db import copy_records

SUBJECTS_METRIC = "distinct_subjects"


async def add_counts(session: AsyncSession, totals: dict[tuple[date, str, str, str], int]) -> None:
    if not totals:
        return
    stmt = insert(daily_counts)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "program", "partner", "metric"],
        set_={"value": daily_counts.c.value + stmt.excluded.value},
    )
    rows = [
        {"day": d, "program": p, "partner": c, "metric": m, "value": v} for (d, p, c, m), v in sorted(totals.items())
    ]
    await session.execute(stmt, rows)
    by_program: dict[tuple[date, str, str], int] = {}
    for (d, p, _c, m), v in totals.items():
        by_program[(d, p, m)] = by_program.get((d, p, m), 0) + v
    rollup = insert(program_days)
    rollup = rollup.on_conflict_do_update(
        index_elements=["day", "program", "metric"], set_={"value": program_days.c.value + rollup.excluded.value}
    )
    await session.execute(
        rollup, [{"day": d, "program": p, "metric": m, "value": v} for (d, p, m), v in sorted(by_program.items())]
    )


async def add_owner_counts(session: AsyncSession, totals: dict[tuple[date, str, str], int]) -> None:
    if not totals:
        return
    stmt = insert(owner_counts)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "data_owner", "metric"], set_={"value": owner_counts.c.value + stmt.excluded.value}
    )
    await session.execute(
        stmt, [{"day": d, "data_owner": o, "metric": m, "value": v} for (d, o, m), v in sorted(totals.items())]
    )


async def add_subjects(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Record subject digests; each digest new for its day/program/partner also bumps a counter, so reports
    read a few counters instead of scanning every digest. An import brings a digest per subject: COPY, then one
    INSERT ... SELECT that counts what was new per day/program/partner (no row per digest comes back)."""
    if not rows:
        return
    unique = list({(r["day"], r["program"], r["partner"], r["digest"]) for r in rows})
    await session.execute(
        text(f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} (LIKE subject_days INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
    )
    await copy_records(session, _STAGE, ["day", "program", "partner", "digest"], unique)
    added = await session.execute(
        text(
            f"WITH new AS (INSERT INTO subject_days (day, program, partner, digest) "  # noqa: S608 - constant names
            f"SELECT day, program, partner, digest FROM {_STAGE} ON CONFLICT DO NOTHING "
            f"RETURNING day, program, partner) SELECT day, program, partner, count(*) FROM new GROUP BY 1, 2, 3"
        )
    )
    new = {(day, program, partner, SUBJECTS_METRIC): n for day, program, partner, n in added.all()}
    await session.execute(text(f"DELETE FROM {_STAGE}"))  # noqa: S608 - constant name
    await add_counts(session, new)


_STAGE = "_stage_subject_days"


async def current_redress(session: AsyncSession, redress_ids: list[Any]) -> dict[Any, Mapping[str, Any]]:
    """The stored facts of these requests, locked (in id order) until the counters have moved."""
    c = redress_facts.c
    return {
        row.redress_id: row._mapping
        for row in await session.execute(
            select(c.redress_id, c.received_on, c.due_on, c.closed_on, c.changed_at)
            .where(c.redress_id.in_(redress_ids))
            .order_by(c.redress_id)
            .with_for_update()
        )
    }


async def save_redress(session: AsyncSession, facts: list[dict[str, Any]]) -> None:
    """Upsert each request's facts; a row changed later than the one offered stays (the database decides too)."""
    if not facts:
        return
    stmt = insert(redress_facts)
    cols = ["source", "status", "received_on", "due_on", "closed_on", "determination", "changed_at"]
    stmt = stmt.on_conflict_do_update(
        index_elements=["redress_id"],
        set_={col: stmt.excluded[col] for col in cols},
        where=redress_facts.c.changed_at <= stmt.excluded.changed_at,
    )
    await session.execute(stmt, facts)


async def add_redress_days(session: AsyncSession, deltas: dict[tuple[date, str], int]) -> None:
    rows = [{"day": d, "metric": m, "value": v} for (d, m), v in sorted(deltas.items()) if v]
    if not rows:
        return
    up = insert(redress_days)
    up = up.on_conflict_do_update(
        index_elements=["day", "metric"], set_={"value": redress_days.c.value + up.excluded.value}
    )
    await session.execute(up, rows)
