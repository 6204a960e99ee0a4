"""A trail written by the old code (chained at insert, under a lock) stays intact through the migration
that lets entries wait for the sequencer, and new entries continue its chain."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from services.redress import db as redress_db
from shared import audit
from shared.audit_sequencer import sequence
from shared.db import create_engine, session_factory
from shared.migrations import upgrade
from tests.support import database_dsn

TRAIL = redress_db.metadata.tables["audit_trail"]
MIGRATIONS = Path(__file__).parents[2] / "services" / "redress" / "migrations"


def _entry(n: int) -> audit.Entry:
    return audit.Entry(
        f"user{n}", "redress:read GET /api/v1/redress", "redress", None, "allowed", correlation_id=f"c{n}"
    )


async def _old_rows(url: str) -> None:
    """Five entries as the old `append` chained them, with a gap in the serial (a rolled-back insert)."""
    conn = await asyncpg.connect(database_dsn(url))
    try:
        prev = audit.GENESIS
        for n, seq in enumerate((1, 2, 4, 5, 6)):
            row = audit.row_of(_entry(n))
            row["at"] = datetime(2026, 1, 1, 12, n, tzinfo=UTC)
            digest = audit.digest(prev, row)
            await conn.execute(
                "INSERT INTO audit_trail (seq, at, actor, action, record_type, record_id, fields, outcome, "
                "correlation_id, client, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                "$11, $12, $13)",
                seq,
                *row.values(),
                prev,
                digest,
            )
            prev = digest
    finally:
        await conn.close()


async def test_an_old_trail_keeps_its_chain_through_the_migration_and_new_entries_continue_it(
    empty_database: str,
) -> None:
    await asyncio.to_thread(upgrade, empty_database, MIGRATIONS, "0005")  # just before the sequencer
    await _old_rows(empty_database)
    await asyncio.to_thread(upgrade, empty_database, MIGRATIONS, "head")
    engine = create_engine(empty_database, pool_size=2)
    sessions = session_factory(engine)
    try:
        async with sessions() as s:
            report = await audit.verify(s, TRAIL)
        assert report.intact and report.entries == 5  # renumbered 1..5, hashes untouched
        async with sessions() as s, s.begin():
            await audit.append(s, TRAIL, [_entry(10), _entry(11)])
        async with sessions() as s, s.begin():
            done = await sequence(s, TRAIL)
        assert done is not None and done[0] == 2 and done[1].size == 7
        async with sessions() as s:
            report = await audit.verify(s, TRAIL)
        assert report.intact and report.entries == 7 and report.pending == 0
    finally:
        await engine.dispose()
