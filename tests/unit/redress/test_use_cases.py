"""Redress's per-request rules through its use cases, on a fake unit of work and in-memory queries."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from services.redress import corrections, domain, records, requests
from shared.errors import Conflict, NotFound
from shared.events.redress import CorrectionAccepted, RedressStatusChanged
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.redress.fakes import FakeCases, FakeRedressQueries, queries, trip_request

__all__ = ["queries"]  # the fixture, used by name

TODAY = date(2026, 11, 24)


async def _received(uow: FakeUnitOfWork) -> uuid.UUID:
    return await requests.create_request(uow=uow, data=trip_request(), sla_days=30, today=TODAY)


async def test_a_request_is_due_after_its_sla_and_its_receipt_is_published(queries: FakeRedressQueries) -> None:
    uow = FakeUnitOfWork()
    redress_id = await _received(uow)

    row = queries.requests[redress_id]
    assert (row["status"], row["due_on"], row["created_by"]) == ("received", date(2026, 12, 3), "analyst")
    assert queries.actions(redress_id) == ["received"]
    [event] = uow.events
    assert isinstance(event, RedressStatusChanged)
    assert (event.redress_id, event.status, event.due_on) == (redress_id, "received", date(2026, 12, 3))


async def test_a_trip_number_on_file_is_refused_with_a_pointer_to_its_case(queries: FakeRedressQueries) -> None:
    first = await _received(FakeUnitOfWork())
    uow = FakeUnitOfWork()
    with pytest.raises(Conflict, match=str(first)) as refused:
        await _received(uow)
    assert refused.value.details["existing_redress_id"] == str(first)
    assert len(queries.requests) == 1
    assert (uow.events, uow.rolled_back) == ([], 1)


async def test_work_on_a_closed_request_is_refused_until_it_is_reopened(queries: FakeRedressQueries) -> None:
    redress_id = await _received(FakeUnitOfWork())
    queries.requests[redress_id]["status"] = domain.Status.CLOSED
    with pytest.raises(Conflict, match="reopen it"):
        await requests.assign_reviewer(uow=FakeUnitOfWork(), redress_id=redress_id, reviewer="J. Doe")
    assert queries.requests[redress_id]["reviewers"] == []
    assert queries.requests[redress_id]["first_action_at"] is None


async def test_a_new_reviewer_of_a_request_already_announced_near_its_sla_has_it_announced_again(
    queries: FakeRedressQueries,
) -> None:
    """The watch announces a due date once (sla_warned_for); a reviewer given the request after that would never
    hear of it, so adding one clears the mark. Adding the same reviewer again changes nothing."""
    redress_id = await _received(FakeUnitOfWork())
    queries.requests[redress_id]["sla_warned_for"] = queries.requests[redress_id]["due_on"]
    await requests.assign_reviewer(uow=FakeUnitOfWork(), redress_id=redress_id, reviewer="J. Doe")
    assert queries.requests[redress_id]["sla_warned_for"] is None
    queries.requests[redress_id]["sla_warned_for"] = queries.requests[redress_id]["due_on"]
    await requests.assign_reviewer(uow=FakeUnitOfWork(), redress_id=redress_id, reviewer="J. Doe")
    assert queries.requests[redress_id]["sla_warned_for"] == date(2026, 12, 3)


async def test_resolving_waits_for_every_correction_decision(queries: FakeRedressQueries) -> None:
    redress_id = await _received(FakeUnitOfWork())
    queries.requests[redress_id]["status"] = domain.Status.UNDER_REVIEW
    encounter_id = uuid.uuid4()
    queries.links[(redress_id, encounter_id)] = {"redress_id": redress_id, "encounter_id": encounter_id}
    correction_id = await corrections.propose_correction(
        uow=FakeUnitOfWork(),
        cases=FakeCases({encounter_id: "DOS"}),  # type: ignore[arg-type]
        redress_id=redress_id,
        encounter_id=encounter_id,
        field="last_name",
        problem="misspelt",
        proposed="Ivanova",
    )
    assert queries.corrections[correction_id]["data_owner"] == "DOS"

    uow = FakeUnitOfWork()
    resolve = {"redress_id": redress_id, "action": "resolve", "determination": "corrected", "reason": None}
    with pytest.raises(Conflict, match="await the data owner"):
        await requests.change_status(uow=uow, **resolve)
    assert uow.events == []

    await corrections.decide_correction(
        uow=FakeUnitOfWork(), redress_id=redress_id, correction_id=correction_id, decision="accepted"
    )
    await requests.change_status(uow=uow, **resolve)
    assert queries.requests[redress_id]["status"] == "resolved"
    [event] = uow.events
    assert isinstance(event, RedressStatusChanged)
    assert (event.status, event.determination) == ("resolved", "corrected")


async def test_an_accepted_correction_is_published_for_its_data_owner_and_decided_once(
    queries: FakeRedressQueries,
) -> None:
    redress_id = await _received(FakeUnitOfWork())
    correction_id, encounter_id = uuid.uuid4(), uuid.uuid4()
    queries.corrections[correction_id] = {
        "id": correction_id,
        "redress_id": redress_id,
        "encounter_id": encounter_id,
        "field": "first_name",
        "proposed": "Anna",
        "data_owner": "CBP",
        "decision": "pending",
    }
    uow = FakeUnitOfWork(actor="owner")
    decide = {"redress_id": redress_id, "correction_id": correction_id}
    await corrections.decide_correction(uow=uow, **decide, decision="accepted")
    [event] = uow.events
    assert isinstance(event, CorrectionAccepted)
    assert (event.encounter_id, event.corrected_value, event.data_owner) == (encounter_id, "Anna", "CBP")
    assert queries.corrections[correction_id]["decided_by"] == "owner"

    again = FakeUnitOfWork()
    with pytest.raises(Conflict, match="already accepted"):
        await corrections.decide_correction(uow=again, **decide, decision="declined")
    assert again.events == []


async def test_a_correction_needs_its_record_linked_first(queries: FakeRedressQueries) -> None:
    redress_id = await _received(FakeUnitOfWork())
    cases = FakeCases()
    with pytest.raises(Conflict, match="link the record"):
        await corrections.propose_correction(
            uow=FakeUnitOfWork(),
            cases=cases,  # type: ignore[arg-type]
            redress_id=redress_id,
            encounter_id=uuid.uuid4(),
            field="last_name",
            problem="misspelt",
            proposed="Ivanova",
        )
    assert (queries.corrections, cases.calls) == ({}, [])


async def test_only_a_record_cases_knows_is_linked_and_only_once(queries: FakeRedressQueries) -> None:
    redress_id = await _received(FakeUnitOfWork())
    known, unknown = uuid.uuid4(), uuid.uuid4()
    cases = FakeCases({known: None})
    with pytest.raises(NotFound, match="no imported record"):
        await records.link_record(
            uow=FakeUnitOfWork(),
            cases=cases,
            redress_id=redress_id,
            encounter_id=unknown,
            note="",  # type: ignore[arg-type]
        )
    for _ in range(2):
        await records.link_record(
            uow=FakeUnitOfWork(),
            cases=cases,
            redress_id=redress_id,
            encounter_id=known,
            note="same DOB",  # type: ignore[arg-type]
        )
    assert list(queries.links) == [(redress_id, known)]
    assert queries.links[(redress_id, known)]["note"] == "same DOB"
    assert queries.actions(redress_id) == ["received", "record-linked"]


async def test_a_request_reads_overdue_only_after_its_due_date(queries: FakeRedressQueries) -> None:
    redress_id = await _received(FakeUnitOfWork())
    due = queries.requests[redress_id]["due_on"]
    on_time = await requests.detail(uow=FakeUnitOfWork(), redress_id=redress_id, today=due)
    late = await requests.detail(uow=FakeUnitOfWork(), redress_id=redress_id, today=due + timedelta(days=1))
    assert (on_time["overdue"], late["overdue"]) == (False, True)
    assert [e["action"] for e in late["timeline"]] == ["received"]
