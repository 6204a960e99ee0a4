"""Redress's notices to system owners reach the accounting of disclosures: through the subscription's own routing,
against an in-memory fake of the queries."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from services.disclosure import consumers, redress_notices
from shared.events import topics
from shared.events.envelope import Event, wrap
from shared.events.redress import NoticedRecord, OwnerNoticeSent, RelinkAccepted
from shared.inbox import Delivered, route_by_type
from tests.unit.fakes import FakeUnitOfWork


class FakeNoticeQueries:
    """services.disclosure.db.redress_notices in memory: the read model's case members, the accounting by key."""

    def __init__(self) -> None:
        self.members: list[dict[str, Any]] = []  # oldest case first, as the real query orders them
        self.accounting: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = {}

    async def cases_of(self, session: object, encounter_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
        return [m for m in self.members if m["encounter_id"] in encounter_ids]

    async def account(self, session: object, rows: list[dict[str, Any]]) -> None:
        for row in rows:  # on conflict do nothing
            self.accounting.setdefault((row["owner_notice_id"], row["subject_id"]), row)


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> FakeNoticeQueries:
    fake = FakeNoticeQueries()
    monkeypatch.setattr(redress_notices, "queries", fake)
    return fake


def _subscription() -> Any:
    (subscription,) = [s for s in consumers.SUBSCRIPTIONS if s.name == "redress"]
    return subscription


async def _consume(*events: Event) -> FakeUnitOfWork:
    """One batch through the subscription's routing, in one unit of work, as the inbox consumer runs it."""
    delivered = [Delivered(wrap(e, producer="redress", correlation_id="t"), e) for e in events]
    uow = FakeUnitOfWork()
    async with uow:
        await route_by_type(_subscription().handlers)(uow, delivered)  # type: ignore[arg-type]
    return uow


def _notice(*records: NoticedRecord, channel: str = "mail") -> OwnerNoticeSent:
    return OwnerNoticeSent(
        notice_id=uuid.uuid4(),
        redress_id=uuid.uuid4(),
        data_owner="CBP",
        channel=channel,
        sent_on=dt.date(2026, 11, 24),
        sent_by="officer",
        records=list(records),
    )


def test_the_subscription_reads_redress_topic_for_owner_notices_only() -> None:
    subscription = _subscription()
    assert tuple(subscription.topics) == (topics.REDRESS,)
    assert subscription.accepts == {"OwnerNoticeSent"}  # corrections and re-links reach disclosure through cases
    assert RelinkAccepted.event_type not in subscription.accepts


async def test_a_notice_is_accounted_once_per_subject_as_sent_to_the_owner_with_a_fixed_purpose(
    queries: FakeNoticeQueries,
) -> None:
    anna, other, case = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    e1, e2, e3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    queries.members = [{"encounter_id": e1, "case_id": case, "subject_id": anna}]
    notice = _notice(
        NoticedRecord(encounter_id=e1, subject_id=anna),
        NoticedRecord(encounter_id=e2, subject_id=anna),
        NoticedRecord(encounter_id=e3, subject_id=other),
    )
    await _consume(notice)
    rows = {subject: row for (_, subject), row in queries.accounting.items()}
    assert set(rows) == {anna, other}
    mine = rows[anna]
    assert (mine["kind"], mine["state"], mine["owner_notice_id"], mine["redress_id"]) == (
        "redress-owner-notice",
        "sent",
        notice.notice_id,
        notice.redress_id,
    )
    assert (mine["recipient_agency"], mine["analyst"], mine["encounter_ids"], mine["case_id"]) == (
        "CBP",
        "officer",
        [e1, e2],
        case,
    )
    assert mine["sent_at"] == dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    assert mine["purpose"] == "redress: discrepancy notice to the system owner"
    assert "by mail" in mine["nature"] and mine["fields"] == []
    assert "draft_id" not in mine and "recipient_email" not in mine  # no draft, no address: the owner was written to
    # A subject whose records the read model has not heard of yet is accounted all the same, without a case.
    assert (rows[other]["encounter_ids"], rows[other]["case_id"]) == ([e3], None)
    assert mine["id"] == uuid.uuid5(notice.notice_id, str(anna)) != rows[other]["id"]


async def test_a_redelivered_notice_adds_no_second_row_and_a_notice_naming_no_record_accounts_none(
    queries: FakeNoticeQueries,
) -> None:
    anna = uuid.uuid4()
    notice = _notice(NoticedRecord(encounter_id=uuid.uuid4(), subject_id=anna))
    await _consume(notice, notice)
    await _consume(notice)
    assert len(queries.accounting) == 1
    await _consume(_notice())
    assert len(queries.accounting) == 1


def test_a_notice_takes_its_subjects_case_else_any_case_holding_its_records() -> None:
    """A re-link the read model has yet to apply leaves the record in the other subject's case: that case's program
    still says who may see the row."""
    anna, other, case_a, case_b, e1 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    notice = _notice(NoticedRecord(encounter_id=e1, subject_id=anna))
    older_other = {"encounter_id": e1, "case_id": case_b, "subject_id": other}
    mine = {"encounter_id": e1, "case_id": case_a, "subject_id": anna}
    [row] = redress_notices.accounting_rows(notice, [older_other, mine])
    assert row["case_id"] == case_a
    [row] = redress_notices.accounting_rows(notice, [older_other])
    assert row["case_id"] == case_b
