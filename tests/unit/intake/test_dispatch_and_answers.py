"""The dispatcher, cases' answers and the agreements projection against in-memory queries."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from services.intake import batches, coverage, dispatch, progress, staging
from shared.events import wrap
from shared.events.cases import AttachedRow, EncountersAttached, FailedRow
from shared.events.disclosure import AgreementChanged
from shared.events.intake import EncountersImported
from shared.inbox import Delivered
from tests.unit.intake.fake_queries import FakeQueries, UnitOfWork, matches, staged


async def _confirmed(store: FakeQueries, tmp: Path, rows: list[list[str]]) -> uuid.UUID:
    batch_id = await staged(UnitOfWork(), tmp, rows)
    await batches.confirm_batch(uow=UnitOfWork(actor="analyst7"), batch_id=batch_id)
    return batch_id


async def test_a_confirmed_batch_leaves_in_chunks_of_its_importable_rows_then_is_done(
    store: FakeQueries, tmp_path: Path
) -> None:
    batch_id = await _confirmed(store, tmp_path, matches(50, no_match_every=5))
    uow = UnitOfWork(actor="dispatcher")
    assert await dispatch.dispatch_once(uow, max_rows=8) == dispatch.CHUNKS_PER_TRANSACTION
    assert store.batches[batch_id]["dispatched_at"] is None  # the cursor moved, rows remain
    assert await dispatch.dispatch_once(uow, max_rows=8) == 1  # the last chunk, and the batch is dispatched
    assert await dispatch.dispatch_once(uow, max_rows=8) == 0
    chunks = [e for e in uow.events if isinstance(e, EncountersImported)]
    assert [c.chunk for c in chunks] == [0, 1, 2, 3, 4]
    assert [len(c.rows) for c in chunks] == [8, 8, 8, 8, 8]  # 40 of 50 rows match
    assert all(r.row_number % 5 != 2 for c in chunks for r in c.rows)  # every fifth row (from row 2) says NO
    assert uow.actor == "analyst7"  # the chunks are the confirming analyst's act
    batch = store.batches[batch_id]
    assert (batch["dispatched_through"], batch["chunks_dispatched"]) == (51, 5) and batch["dispatched_at"]


async def test_a_repeated_answer_counts_once_and_answers_for_unknown_batches_are_ignored(
    store: FakeQueries, tmp_path: Path
) -> None:
    batch_id = await _confirmed(store, tmp_path, matches(5))
    first, second = _answer(batch_id, 0, range(2, 5), failed=range(5, 6)), _answer(batch_id, 1, range(6, 7))
    await progress.record_attached(UnitOfWork(), [first, first])
    await progress.record_attached(UnitOfWork(), [first, second, _answer(uuid.uuid4(), 0, range(2, 9))])
    batch = store.batches[batch_id]
    assert (batch["rows_attached"], batch["rows_failed"]) == (4, 1)
    assert list(store.failed) == [(batch_id, 5)] and store.failed[(batch_id, 5)]["reason"] == "last_name: too long"
    assert set(store.batches) == {batch_id}


async def test_the_newest_version_of_an_agreement_is_kept_whatever_order_they_arrive_in(store: FakeQueries) -> None:
    agreement = uuid.uuid4()
    v1, v2 = (_agreement(agreement, v, country) for v, country in ((1, "CHL"), (2, "PER")))
    await coverage.project_agreements(UnitOfWork(), [_delivered(v2), _delivered(v1)])
    await coverage.project_agreements(UnitOfWork(), [_delivered(v1)])
    assert store.agreements[agreement]["version"] == 2
    assert await store.covered_partners(None, "M5", ["CHL", "PER"], date.today()) == {"PER"}


async def test_the_purge_takes_rows_of_batches_decided_before_the_retention_period(store: FakeQueries) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert await staging.purge_staging(UnitOfWork(), now=now, keep_days=30) == []
    assert store.purged_before == [now - timedelta(days=30)]


def _delivered(event: EncountersAttached | AgreementChanged) -> Delivered:
    return Delivered(wrap(event, producer="test", correlation_id="c"), event)


def _answer(batch_id: uuid.UUID, chunk: int, rows: range, failed: range = range(0)) -> Delivered:
    event = EncountersAttached(
        batch_id=batch_id,
        chunk=chunk,
        program="M5",
        upload_kind="partner-query",
        rows=[
            AttachedRow(encounter_id=uuid.uuid4(), row_number=n, subject_id=uuid.uuid4(), case_id=uuid.uuid4())
            for n in rows
        ],
        failed=[FailedRow(encounter_id=uuid.uuid4(), row_number=n, reason="last_name: too long") for n in failed],
    )
    return _delivered(event)


def _agreement(agreement_id: uuid.UUID, version: int, country: str) -> AgreementChanged:
    return AgreementChanged(
        agreement_id=agreement_id,
        version=version,
        name=f"M5 and {country}",
        program="M5",
        partner_country=country,
        valid_from=date(2020, 1, 1),
    )
