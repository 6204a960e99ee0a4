"""The batches area's rules against in-memory queries: staging, re-uploads, confirm and reject."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.intake import batches
from shared import policy
from shared.auth import Principal
from shared.errors import Conflict, NotFound
from shared.events.intake import BatchImported
from tests.unit.intake.fake_queries import LIMITS, FakeQueries, UnitOfWork, matches, staged, upload_of


async def test_an_upload_stages_every_row_with_its_counts_and_imports_nothing(
    store: FakeQueries, tmp_path: Path
) -> None:
    uow = UnitOfWork()
    batch_id = await staged(uow, tmp_path, matches(6, no_match_every=3, invalid=1))
    batch = store.batches[batch_id]
    assert (batch["status"], batch["rows_total"], batch["rows_valid"], batch["rows_invalid"]) == ("staged", 6, 5, 1)
    assert batch["rows_no_match"] == 1 and batch["created_by"] == "analyst"
    assert [r[1] for r in store.staged[batch_id]] == [2, 3, 4, 5, 6, 7]  # spreadsheet row numbers
    assert uow.events == [] and uow.committed == 1


async def test_the_same_file_again_is_refused_naming_the_batch_that_holds_it(
    store: FakeQueries, tmp_path: Path
) -> None:
    first = await staged(UnitOfWork(), tmp_path, matches(3))
    uow = UnitOfWork()
    with pytest.raises(Conflict) as refused:
        await staged(uow, tmp_path, matches(3))
    assert refused.value.details == {"existing_batch_id": str(first)}
    assert len(store.batches) == 1 and uow.rolled_back == 1


async def test_a_duplicate_in_a_program_the_user_is_not_in_is_refused_without_naming_the_batch(
    store: FakeQueries, tmp_path: Path
) -> None:
    await staged(UnitOfWork(), tmp_path, matches(3))  # program M5
    policy.enter(Principal("pcsc-analyst", programs=frozenset({"PCSC"})))
    with pytest.raises(Conflict) as refused:
        await batches.upload_batch(
            uow=UnitOfWork(),
            upload=upload_of(tmp_path, matches(3)),
            program="PCSC",
            kind="partner-query",
            limits=LIMITS,
        )
    assert refused.value.details == {} and "program you do not belong to" in refused.value.message


async def test_confirming_emits_batch_imported_with_the_importable_rows_once(
    store: FakeQueries, tmp_path: Path
) -> None:
    batch_id = await staged(UnitOfWork(), tmp_path, matches(6, no_match_every=3, invalid=1))
    uow = UnitOfWork()
    await batches.confirm_batch(uow=uow, batch_id=batch_id)
    await batches.confirm_batch(uow=uow, batch_id=batch_id)  # a second confirm does nothing
    (event,) = uow.events
    assert isinstance(event, BatchImported)
    assert (event.rows_total, event.rows_imported, event.rows_invalid, event.rows_no_match) == (6, 4, 1, 1)
    batch = store.batches[batch_id]
    assert (batch["status"], batch["rows_imported"], batch["decided_by"]) == ("confirmed", 4, "analyst")
    assert batch["dispatched_at"] is None  # the dispatcher has rows to send


async def test_confirming_with_block_on_invalid_is_refused_while_a_row_is_invalid(
    store: FakeQueries, tmp_path: Path
) -> None:
    batch_id = await staged(UnitOfWork(), tmp_path, matches(4, invalid=2))
    uow = UnitOfWork()
    with pytest.raises(Conflict, match="2 row"):
        await batches.confirm_batch(uow=uow, batch_id=batch_id, block_on_invalid=True)
    assert uow.events == [] and store.batches[batch_id]["status"] == "staged"


async def test_a_confirmed_batch_cannot_be_rejected_and_a_rejected_one_cannot_be_confirmed(
    store: FakeQueries, tmp_path: Path
) -> None:
    confirmed = await staged(UnitOfWork(), tmp_path, matches(2))
    await batches.confirm_batch(uow=UnitOfWork(), batch_id=confirmed)
    with pytest.raises(Conflict, match="already imported"):
        await batches.reject_batch(uow=UnitOfWork(), batch_id=confirmed)
    rejected = await batches.upload_batch(
        uow=UnitOfWork(),
        upload=upload_of(tmp_path, matches(3), "other.csv"),
        program="M5",
        kind="partner-query",
        limits=LIMITS,
    )
    await batches.reject_batch(uow=UnitOfWork(), batch_id=rejected)
    assert store.batches[rejected]["status"] == "rejected"
    uow = UnitOfWork()
    with pytest.raises(Conflict, match="rejected"):
        await batches.confirm_batch(uow=uow, batch_id=rejected)
    assert uow.events == []


async def test_a_batch_of_another_program_is_answered_like_an_unknown_one(store: FakeQueries, tmp_path: Path) -> None:
    batch_id = await staged(UnitOfWork(), tmp_path, matches(2, invalid=1))  # program M5
    policy.enter(Principal("pcsc-analyst", programs=frozenset({"PCSC"})))
    for use_case in (batches.batch_problems, batches.batch_failures):
        with pytest.raises(NotFound, match=f"no batch {batch_id}"):
            await use_case(uow=UnitOfWork(), batch_id=batch_id, limit=10, offset=0)
    with pytest.raises(NotFound, match=f"no batch {batch_id}"):
        await batches.reject_batch(uow=UnitOfWork(), batch_id=batch_id)
    assert store.batches[batch_id]["status"] == "staged"
