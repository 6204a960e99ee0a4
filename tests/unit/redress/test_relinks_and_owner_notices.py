"""Re-links, the search log and notices to system owners through redress's use cases, on fakes."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.redress import domain, owner_notices, relinks, requests, search_log
from shared.errors import Conflict, Invalid, NotFound
from shared.events.redress import NoticedRecord, OwnerNoticeSent, RelinkAccepted
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.redress.fakes import FakeCases, FakeRedressQueries, queries, trip_request

__all__ = ["queries"]  # the fixture, used by name

TODAY = date(2026, 11, 24)
CATALOGUE = ["IDENT-SIT", "TECS"]


async def _linked(queries: FakeRedressQueries, *encounters: uuid.UUID) -> uuid.UUID:
    redress_id = await requests.create_request(uow=FakeUnitOfWork(), data=trip_request(), sla_days=30, today=TODAY)
    for e in encounters:
        queries.links[(redress_id, e)] = {"redress_id": redress_id, "encounter_id": e}
    return redress_id


async def test_a_relink_is_decided_here_and_published_for_cases_with_the_subject_it_leaves(
    queries: FakeRedressQueries,
) -> None:
    wrong, a, b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    redress_id = await _linked(queries, wrong)
    cases = FakeCases({wrong: "CBP"}, subjects={wrong: a, uuid.uuid4(): b})
    uow = FakeUnitOfWork()
    relink_id = await relinks.relink(
        uow=uow, cases=cases, redress_id=redress_id, encounter_ids=[wrong], to_subject_id=b, reason="her FIN"
    )  # type: ignore[arg-type]
    [event] = uow.events
    assert isinstance(event, RelinkAccepted)
    assert (event.relink_id, event.from_subject_id, event.to_subject_id, event.new_subject) == (relink_id, a, b, False)
    assert queries.relinks[relink_id]["decided_by"] == "analyst"
    assert queries.actions(redress_id)[-1] == "records-relinked"


async def test_a_relink_to_a_new_subject_names_it_and_undo_moves_the_records_back(queries: FakeRedressQueries) -> None:
    wrong, a = uuid.uuid4(), uuid.uuid4()
    redress_id = await _linked(queries, wrong)
    cases = FakeCases({wrong: "CBP"}, subjects={wrong: a})
    uow = FakeUnitOfWork()
    first = await relinks.relink(
        uow=uow, cases=cases, redress_id=redress_id, encounter_ids=[wrong], to_subject_id=None, reason="unknown FIN"
    )  # type: ignore[arg-type]
    (made,) = uow.events
    assert made.new_subject is True and made.to_subject_id not in (a, None)
    # Until cases has moved the record, undoing is refused: the record is not with the new subject yet.
    with pytest.raises(Conflict, match="not with its subject now"):
        await relinks.undo(uow=FakeUnitOfWork(), cases=cases, redress_id=redress_id, relink_id=first, reason="x")
    cases.subject_of[wrong] = made.to_subject_id
    back_uow = FakeUnitOfWork()
    back = await relinks.undo(uow=back_uow, cases=cases, redress_id=redress_id, relink_id=first, reason="wrong card")
    (undo,) = back_uow.events
    assert (undo.from_subject_id, undo.to_subject_id, undo.undoes, undo.new_subject) == (
        made.to_subject_id,
        a,
        first,
        False,
    )
    assert queries.relinks[first]["undone_by"] == back
    with pytest.raises(Conflict, match="already undone"):
        await relinks.undo(uow=FakeUnitOfWork(), cases=cases, redress_id=redress_id, relink_id=first, reason="again")
    assert len(queries.relinks) == 2  # nothing deleted: both steps stay


async def test_bad_relinks_are_refused_by_name_and_publish_nothing(queries: FakeRedressQueries) -> None:
    e1, e2, unlinked, a, b = (uuid.uuid4() for _ in range(5))
    redress_id = await _linked(queries, e1, e2)
    cases = FakeCases({e1: "CBP", e2: "DOS", unlinked: "CBP"}, subjects={e1: a, e2: b, unlinked: a})
    uow = FakeUnitOfWork()

    async def attempt(ids: list[uuid.UUID], to: uuid.UUID | None, reason: str = "r") -> None:
        await relinks.relink(
            uow=uow, cases=cases, redress_id=redress_id, encounter_ids=ids, to_subject_id=to, reason=reason
        )  # type: ignore[arg-type]

    with pytest.raises(Invalid, match="states why"):
        await attempt([e1], b, reason=" ")
    with pytest.raises(Conflict, match="link the record"):
        await attempt([unlinked], b)
    with pytest.raises(Conflict, match="different subjects"):
        await attempt([e1, e2], None)
    with pytest.raises(Conflict, match="already belong"):
        await attempt([e1], a)
    with pytest.raises(NotFound, match="no subject"):
        await attempt([e1], uuid.uuid4())
    with pytest.raises(NotFound, match="no imported record"):
        await attempt([uuid.uuid4()], b)
    assert (uow.events, queries.relinks) == ([], {})


async def test_resolving_waits_for_the_required_searches_of_the_log(queries: FakeRedressQueries) -> None:
    redress_id = await _linked(queries)
    queries.requests[redress_id]["status"] = domain.Status.UNDER_REVIEW
    resolve = {"action": "resolve", "determination": "no-change-warranted", "reason": None, "required": CATALOGUE}
    with pytest.raises(Conflict, match="IDENT-SIT, TECS") as refused:
        await requests.change_status(uow=FakeUnitOfWork(), redress_id=redress_id, **resolve)
    assert refused.value.details["missing"] == CATALOGUE
    with pytest.raises(Invalid, match="unknown source system"):
        await search_log.log_search(
            uow=FakeUnitOfWork(), redress_id=redress_id, system="GOOGLE", result="hit", notes="", catalogue=CATALOGUE
        )
    for system in CATALOGUE:
        await search_log.log_search(
            uow=FakeUnitOfWork(), redress_id=redress_id, system=system, result="no-hit", notes="", catalogue=CATALOGUE
        )
    await requests.change_status(uow=FakeUnitOfWork(), redress_id=redress_id, **resolve)
    assert queries.requests[redress_id]["status"] == "resolved"
    assert [s["searched_by"] for s in queries.searches] == ["analyst", "analyst"]


async def test_an_owner_notice_takes_a_reply_then_the_decision_with_who_made_it(queries: FakeRedressQueries) -> None:
    e = uuid.uuid4()
    redress_id = await _linked(queries, e)
    notice = {
        "data_owner": "USCIS",
        "discrepancy": "CIS holds a second A-number for the requester",
        "encounter_ids": [e],
        "channel": "email",
        "sent_on": TODAY,
        "today": TODAY,
    }
    cases = FakeCases({e: "USCIS"}, subjects={e: uuid.uuid4()})
    with pytest.raises(Conflict, match="link the record"):
        await owner_notices.record_notice(
            uow=FakeUnitOfWork(), cases=cases, redress_id=redress_id, **notice | {"encounter_ids": [uuid.uuid4()]}
        )  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="one of"):
        await owner_notices.record_notice(
            uow=FakeUnitOfWork(), cases=cases, redress_id=redress_id, **notice | {"channel": "pigeon"}
        )  # type: ignore[arg-type]
    notice_id = await owner_notices.record_notice(uow=FakeUnitOfWork(), cases=cases, redress_id=redress_id, **notice)  # type: ignore[arg-type]
    assert queries.notices[notice_id]["sent_by"] == "analyst"
    decide = {"redress_id": redress_id, "notice_id": notice_id, "decision": "correct", "decided_by": "J. Ortiz, USCIS"}
    with pytest.raises(Conflict, match="reply before"):
        await owner_notices.record_decision(uow=FakeUnitOfWork(), **decide)
    with pytest.raises(Invalid, match="reply date"):
        await owner_notices.record_reply(
            uow=FakeUnitOfWork(),
            redress_id=redress_id,
            notice_id=notice_id,
            reply="x",
            replied_on=date(2026, 1, 1),
            today=TODAY,
        )
    await owner_notices.record_reply(
        uow=FakeUnitOfWork(),
        redress_id=redress_id,
        notice_id=notice_id,
        reply="will merge",
        replied_on=TODAY,
        today=TODAY,
    )
    with pytest.raises(Invalid, match="who made the decision"):
        await owner_notices.record_decision(uow=FakeUnitOfWork(), **decide | {"decided_by": " "})
    await owner_notices.record_decision(uow=FakeUnitOfWork(actor="officer"), **decide)
    row = queries.notices[notice_id]
    assert (row["decision"], row["decided_by"], row["decision_recorded_by"]) == (
        "correct",
        "J. Ortiz, USCIS",
        "officer",
    )
    with pytest.raises(Conflict, match="already recorded"):
        await owner_notices.record_decision(uow=FakeUnitOfWork(), **decide)
    assert queries.actions(redress_id)[-3:] == ["owner-notified", "owner-replied", "owner-decided"]


async def test_an_owner_notice_is_announced_in_its_own_transaction_with_ids_and_subjects_never_its_text(
    queries: FakeRedressQueries,
) -> None:
    """The notice left DHS: disclosure accounts it per subject, so the event names each record's subject now."""
    e1, e2, anna, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    redress_id = await _linked(queries, e1, e2)
    cases = FakeCases({e1: "CBP", e2: "CBP"}, subjects={e1: anna, e2: other})
    uow = FakeUnitOfWork(actor="officer")
    notice_id = await owner_notices.record_notice(
        uow=uow,
        cases=cases,  # type: ignore[arg-type]
        redress_id=redress_id,
        data_owner=" CBP ",
        discrepancy="TECS lists Анна Иванова born 1990-02-03 twice",
        encounter_ids=[e1, e2, e1],
        channel="mail",
        sent_on=TODAY,
        today=TODAY,
    )
    [event] = uow.events
    assert uow.committed == 2  # the checks, then the notice with its event: one transaction
    assert isinstance(event, OwnerNoticeSent)
    assert (event.notice_id, event.redress_id, event.data_owner) == (notice_id, redress_id, "CBP")
    assert event.channel == "mail"
    assert (event.sent_on, event.sent_by) == (TODAY, "officer")
    assert event.records == [
        NoticedRecord(encounter_id=e1, subject_id=anna),
        NoticedRecord(encounter_id=e2, subject_id=other),
    ]
    assert "Анна" not in event.model_dump_json() and "1990" not in event.model_dump_json()
    assert event.partition_key() == str(redress_id)


async def test_an_owner_notice_refused_by_a_rule_or_an_unknown_record_announces_nothing(
    queries: FakeRedressQueries,
) -> None:
    e = uuid.uuid4()
    redress_id = await _linked(queries, e)
    notice = {
        "redress_id": redress_id,
        "data_owner": "CBP",
        "discrepancy": "two FINs",
        "encounter_ids": [e],
        "channel": "email",
        "sent_on": TODAY,
        "today": TODAY,
    }
    uow = FakeUnitOfWork()
    with pytest.raises(NotFound):  # cases does not know the record (purged since it was linked)
        await owner_notices.record_notice(uow=uow, cases=FakeCases(), **notice)  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="before the request was received"):
        await owner_notices.record_notice(
            uow=uow, cases=FakeCases({e: "CBP"}), **notice | {"sent_on": date(2026, 1, 1)}
        )  # type: ignore[arg-type]
    assert uow.events == [] and queries.notices == {}
