"""Cases' migration 0006: findings recorded before it get their encounters back from cases' own outbox, so a
finding about a withheld encounter is still withheld once disclosure reads findings from cases."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import pytest

from shared.events.cases import FindingRecorded
from shared.events.envelope import wrap
from shared.migrations import upgrade
from tests.support import database_dsn

MIGRATIONS = Path(__file__).parents[2] / "services" / "cases" / "migrations"


@pytest.fixture
def database(empty_database: str) -> str:
    return empty_database


async def _findings_before_0006(url: str) -> dict[str, tuple[uuid.UUID, list[uuid.UUID]]]:
    """Three findings: about one encounter, about the case as a whole, and one whose event is gone."""
    conn = await asyncpg.connect(database_dsn(url))
    sid, cid, eid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await conn.execute("INSERT INTO subjects (id, subject_key) VALUES ($1, 'FIN:x')", sid)
    await conn.execute(
        "INSERT INTO cases (id, case_key, subject_id, program, upload_kind) "
        "VALUES ($1, 'k', $2, 'M5', 'partner-query')",
        cid,
        sid,
    )
    out = {}
    for label, about, published in (("one", [eid], True), ("whole", [], True), ("gone", [eid], False)):
        fid = uuid.uuid4()
        await conn.execute(
            "INSERT INTO findings (id, case_id, kind, text, accurate_as_of, recorded_by) "
            "VALUES ($1, $2, 'summary', $3, now(), 'it')",
            fid,
            cid,
            label,
        )
        if published:
            event = FindingRecorded(
                case_id=cid, finding_id=fid, kind="summary", text=label, accurate_as_of="2026-01-01T00:00:00Z",
                encounter_ids=about,
            )  # fmt: skip
            envelope = wrap(event, producer="cases", correlation_id="it")
            await conn.execute(
                "INSERT INTO outbox (event_id, topic, key, event_type, correlation_id, body) "
                "VALUES ($1, 'tracs.cases.v1', $2, 'FindingRecorded', 'it', $3)",
                envelope.event_id,
                envelope.key,
                envelope.to_bytes(),
            )
        out[label] = (fid, about)
    await conn.close()
    return out


async def _encounters_of(url: str) -> dict[uuid.UUID, list[uuid.UUID]]:
    conn = await asyncpg.connect(database_dsn(url))
    rows = await conn.fetch("SELECT id, encounter_ids FROM findings")
    await conn.close()
    return {r["id"]: list(r["encounter_ids"]) for r in rows}


def test_findings_get_their_encounters_back_from_the_outbox(database: str) -> None:
    upgrade(database, MIGRATIONS, "0005")
    findings = asyncio.run(_findings_before_0006(database))
    upgrade(database, MIGRATIONS)
    stored = asyncio.run(_encounters_of(database))
    assert stored[findings["one"][0]] == findings["one"][1] != []
    assert stored[findings["whole"][0]] == []
    assert stored[findings["gone"][0]] == []  # its event is gone: about the case as a whole
