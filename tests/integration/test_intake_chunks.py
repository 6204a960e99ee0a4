"""Bulk path v2 in intake against a real PostgreSQL: the dispatcher cuts a confirmed batch into chunks exactly
once, cases' answers make the batch's progress (each counted once), and the staged rows of decided batches
are purged under the retention rule while the batch record stays."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import orjson
import pytest

from services.intake import batches, dispatch, progress, staging
from services.intake.db.tables import outbox
from services.intake.reader import Limits
from shared.db import create_engine, session_factory
from shared.events import decode, wrap
from shared.events.cases import AttachedRow, EncountersAttached, FailedRow
from shared.events.intake import EncountersImported
from shared.inbox import Delivered
from shared.migrations import upgrade
from shared.uow import UnitOfWork
from tests.support import csv_bytes, database_dsn

MIGRATIONS = Path(__file__).parents[2] / "services" / "intake" / "migrations"
HEADER = ["FIN", "Last Name", "First Name", "DOB", "Match"]


@pytest.fixture
def database(empty_database: str) -> str:
    upgrade(empty_database, MIGRATIONS)
    return empty_database


class Intake:
    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.sessions = session_factory(self.engine)
        self.url = url

    def uow(self, actor: str = "analyst1") -> UnitOfWork:
        return UnitOfWork(self.sessions, outbox, producer="intake", actor=actor)

    async def stage(self, tmp: Path, n: int, *, no_match_every: int = 0) -> uuid.UUID:
        tag = uuid.uuid4().hex[:6]
        rows = [
            [
                f"{tag}{i:06d}",
                f"Name{i}",
                "Zoë",
                "1981-02-03",
                "NO" if no_match_every and i % no_match_every == 0 else "MATCH",
            ]
            for i in range(n)
        ]
        path = tmp / f"{tag}.csv"
        path.write_bytes(csv_bytes(HEADER, rows))
        upload = batches.Upload(
            path=path,
            file_name=path.name,
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            size=path.stat().st_size,
        )
        return await batches.upload_batch(
            uow=self.uow(), upload=upload, program="M5", kind="partner-query", limits=Limits(10**6, 200, 2**30)
        )

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(database_dsn(self.url))
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    async def chunks(self, batch_id: uuid.UUID) -> list[EncountersImported]:
        rows = await self.fetch("SELECT body FROM outbox WHERE event_type = 'EncountersImported' ORDER BY id")
        events = [decode(r["body"])[1] for r in rows]
        return [e for e in events if isinstance(e, EncountersImported) and e.batch_id == batch_id]

    async def dispatch_all(self, **limits: int) -> int:
        rounds = 0
        while await dispatch.dispatch_once(self.uow(actor="dispatcher"), **limits):
            rounds += 1
        return rounds


def test_a_confirmed_batch_leaves_in_chunks_cut_once_and_carrying_the_confirming_analyst(
    database: str, tmp_path: Path
) -> None:
    async def scenario() -> None:
        intake = Intake(database)
        try:
            batch_id = await intake.stage(tmp_path, 2600, no_match_every=10)  # 260 no-match rows stay behind
            await batches.confirm_batch(uow=intake.uow(), batch_id=batch_id)
            batch = await batches.batch_view(uow=intake.uow(), batch_id=batch_id, preview_rows=0)
            assert (batch["progress"], batch["rows_imported"]) == ("sending", 2340)
            assert await intake.chunks(batch_id) == []  # confirming reads no row: the dispatcher does
            await intake.dispatch_all()
            chunks = await intake.chunks(batch_id)
            assert [len(c.rows) for c in chunks] == [1000, 1000, 340]
            assert [c.chunk for c in chunks] == [0, 1, 2]
            numbers = [r.row_number for c in chunks for r in c.rows]
            assert numbers == sorted(numbers) and len(set(numbers)) == 2340  # each importable row once, in order
            assert all(r.fields.last_name and r.subject_key.startswith("FIN:") for c in chunks for r in c.rows)
            envelopes = [
                orjson.loads(r["body"])
                for r in await intake.fetch("SELECT body FROM outbox WHERE event_type = 'EncountersImported'")
            ]
            assert {e["actor"] for e in envelopes} == {"analyst1"}
            assert {e["key"] for e in envelopes} == {f"{batch_id}/{n}" for n in range(3)}
            assert await intake.dispatch_all() == 0 and len(await intake.chunks(batch_id)) == 3  # nothing twice
            batch = await batches.batch_view(uow=intake.uow(), batch_id=batch_id, preview_rows=0)
            assert batch["progress"] == "attaching" and batch["dispatched_at"] is not None
            await batches.confirm_batch(uow=intake.uow(), batch_id=batch_id)  # a second confirm does nothing
            assert await intake.dispatch_all() == 0 and len(await intake.chunks(batch_id)) == 3

            # A chunk is also cut by size: 64 KiB holds far fewer than 1,000 of these rows.
            small = await intake.stage(tmp_path, 700)
            await batches.confirm_batch(uow=intake.uow(), batch_id=small)
            await intake.dispatch_all(max_bytes=64 * 1024)
            sized = await intake.chunks(small)
            assert len(sized) > 2 and sum(len(c.rows) for c in sized) == 700
            bodies = await intake.fetch(
                "SELECT length(body) AS n FROM outbox WHERE key LIKE $1 AND event_type = 'EncountersImported'",
                f"{small}/%",
            )
            assert len(bodies) == len(sized) and all(r["n"] <= 64 * 1024 for r in bodies)
        finally:
            await intake.engine.dispose()

    asyncio.run(scenario())


def _answer(batch_id: uuid.UUID, chunk: int, rows: range, failed: range = range(0)) -> Delivered:
    def attached(n: int) -> AttachedRow:
        return AttachedRow(
            encounter_id=uuid.uuid4(), row_number=n, subject_id=uuid.uuid4(), case_id=uuid.uuid4(), case_opened=True
        )

    event = EncountersAttached(
        batch_id=batch_id,
        chunk=chunk,
        program="M5",
        upload_kind="partner-query",
        rows=[attached(n) for n in rows],
        failed=[FailedRow(encounter_id=uuid.uuid4(), row_number=n, reason="last_name: too long") for n in failed],
    )
    return Delivered(wrap(event, producer="cases", correlation_id="c"), event)


def test_cases_answers_make_the_progress_each_counted_once(database: str, tmp_path: Path) -> None:
    async def scenario() -> None:
        intake = Intake(database)
        try:
            batch_id = await intake.stage(tmp_path, 1500)
            await batches.confirm_batch(uow=intake.uow(), batch_id=batch_id)
            await intake.dispatch_all()
            first = _answer(batch_id, 0, range(2, 1002))
            await progress.record_attached(intake.uow("system"), [first, first])  # delivered twice in one batch
            await progress.record_attached(intake.uow("system"), [first])  # and again later
            view = await batches.batch_view(uow=intake.uow(), batch_id=batch_id, preview_rows=0)
            assert (view["rows_attached"], view["rows_failed"], view["progress"]) == (1000, 0, "attaching")
            # The last chunk: one row failed; an answer for a batch intake never staged changes nothing.
            last = _answer(batch_id, 1, range(1002, 1501), failed=range(1501, 1502))
            await progress.record_attached(intake.uow("system"), [last, _answer(uuid.uuid4(), 0, range(2, 5))])
            view = await batches.batch_view(uow=intake.uow(), batch_id=batch_id, preview_rows=0)
            assert (view["rows_attached"], view["rows_failed"], view["progress"]) == (1499, 1, "done")
            assert [(f["row_number"], f["reason"]) for f in view["failures"]] == [(1501, "last_name: too long")]
            assert (
                await batches.batch_failures(uow=intake.uow(), batch_id=batch_id, limit=10, offset=0)
                == view["failures"]
            )
        finally:
            await intake.engine.dispose()

    asyncio.run(scenario())


def test_staged_rows_of_decided_batches_are_purged_after_the_retention_period(database: str, tmp_path: Path) -> None:
    async def scenario() -> None:
        intake = Intake(database)
        try:
            done = await intake.stage(tmp_path, 20)
            await batches.confirm_batch(uow=intake.uow(), batch_id=done)
            await intake.dispatch_all()
            await progress.record_attached(intake.uow("system"), [_answer(done, 0, range(2, 22))])
            rejected = await intake.stage(tmp_path, 5)
            await batches.reject_batch(uow=intake.uow(), batch_id=rejected)
            waiting = await intake.stage(tmp_path, 5)  # confirmed, cases has not answered yet
            await batches.confirm_batch(uow=intake.uow(), batch_id=waiting)
            await intake.dispatch_all()
            await intake.fetch("DELETE FROM outbox_pending")  # as the relay does once it has published
            undecided = await intake.stage(tmp_path, 5)
            # Nothing is due today with 30 days to keep.
            assert await staging.purge_staging(intake.uow(), now=datetime.now(UTC), keep_days=30) == []
            later = datetime.now(UTC) + timedelta(days=31)
            purged = await staging.purge_staging(intake.uow(), now=later, keep_days=30)
            assert set(purged) == {done, rejected}
            staged = {
                r["batch_id"]: r["n"]
                for r in await intake.fetch("SELECT batch_id, count(*) AS n FROM staged_rows GROUP BY batch_id")
            }
            assert staged == {waiting: 5, undecided: 5}
            # The done batch's chunk left the outbox with its staged rows (the relay had sent it); the waiting
            # batch's chunk is still there.
            assert await intake.chunks(done) == [] and len(await intake.chunks(waiting)) == 1
            view = await batches.batch_view(uow=intake.uow(), batch_id=done, preview_rows=5)
            assert view["preview"] == [] and view["staging_purged_at"] is not None
            assert (view["rows_total"], view["rows_attached"], view["progress"]) == (20, 20, "done")
            assert await staging.purge_staging(intake.uow(), now=later, keep_days=30) == []  # once
        finally:
            await intake.engine.dispose()

    asyncio.run(scenario())
