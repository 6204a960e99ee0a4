"""The hash-chained, append-only audit trail against a real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import MetaData, text
from sqlalchemy.exc import DBAPIError

from shared import audit
from shared.db import create_engine, drop_database, ensure_database, session_factory
from tests.infra import Infra

metadata = MetaData()
trail = audit.audit_table(metadata)


@pytest.fixture
async def sessions(infra: Infra, namespace: str) -> AsyncIterator:
    url = infra.database_url.rsplit("/", 1)[0] + f"/it_{namespace}"
    await ensure_database(url)
    engine = create_engine(url, pool_size=4)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        for statement in audit.APPEND_ONLY_DDL:
            await conn.execute(text(statement))
    yield session_factory(engine)
    await engine.dispose()
    await drop_database(url)


def _entry(n: int) -> audit.Entry:
    return audit.Entry(
        actor=f"user{n % 3}",
        action="case:read GET /api/v1/cases/{case_id}",
        record_type="case",
        record_id=f"id-{n}",
        outcome="allowed" if n % 2 else "denied",
        fields=["status", "assignee"] if n % 4 == 0 else [],
        correlation_id=f"c{n}",
        client="127.0.0.1",
    )


async def _append(sessions, entries: list[audit.Entry]) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s, s.begin():
        await audit.append(s, trail, entries)


async def _verify(sessions) -> audit.ChainReport:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        return await audit.verify(s, trail, chunk=7)  # small chunks: the walk crosses chunk borders


async def test_concurrent_appends_form_one_intact_chain(sessions) -> None:  # type: ignore[no-untyped-def]
    await asyncio.gather(*(_append(sessions, [_entry(i * 3 + j) for j in range(3)]) for i in range(10)))
    report = await _verify(sessions)
    assert report.intact and report.entries == 30


async def test_the_database_refuses_update_delete_and_truncate(sessions) -> None:  # type: ignore[no-untyped-def]
    await _append(sessions, [_entry(1), _entry(2)])
    for statement in (
        "UPDATE audit_trail SET outcome = 'allowed'",
        "DELETE FROM audit_trail",
        "TRUNCATE audit_trail",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with sessions() as s, s.begin():
                await s.execute(text(statement))
    assert (await _verify(sessions)).entries == 2


@pytest.mark.parametrize(
    ("tamper", "broken_at", "reason"),
    [
        ("UPDATE audit_trail SET outcome = 'allowed' WHERE seq = 5", 5, "content"),
        ("UPDATE audit_trail SET fields = ARRAY['ssn'] WHERE seq = 8", 8, "content"),
        ("DELETE FROM audit_trail WHERE seq = 4", 5, "changed or removed"),
    ],
)
async def test_tampering_behind_the_app_is_found_at_the_first_broken_link(
    sessions,  # type: ignore[no-untyped-def]
    tamper: str,
    broken_at: int,
    reason: str,
) -> None:
    await _append(sessions, [_entry(i) for i in range(10)])
    first = await _verify(sessions)
    assert first.intact and first.entries == 10
    async with sessions() as s, s.begin():
        # Someone with superuser rights switches the guard off: the chain still tells.
        await s.execute(text("SET LOCAL session_replication_role = replica"))
        await s.execute(text(tamper))
    report = await _verify(sessions)
    assert not report.intact
    assert report.broken_at == broken_at  # a fresh table: entries are numbered 1..10
    assert reason in (report.reason or "")
