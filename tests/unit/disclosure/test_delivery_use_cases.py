"""The accounting around the mail relay against an in-memory fake of its queries: sent once with its owner
notifications and DisclosureSent, failed only when the relay certainly refused."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from services.disclosure import delivery, mail
from shared.errors import Unavailable
from shared.events.disclosure import DisclosureSent
from tests.unit.fakes import FakeUnitOfWork

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


class FakeDeliveryQueries:
    """services.disclosure.db.delivery, in memory."""

    def __init__(self) -> None:
        self.accounting: dict[uuid.UUID, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []

    async def lock_pending(self, session: object, accounting_id: uuid.UUID) -> dict[str, Any] | None:
        row = self.accounting.get(accounting_id)
        return row if row is not None and row["state"] == "pending" else None

    async def record_sent(self, session: object, row: dict[str, Any], *, delivered_at: dt.datetime) -> None:
        self.accounting[row["id"]].update(state="sent", delivered_at=delivered_at, message=None)

    async def notify_owners(self, session: object, notices: list[dict[str, Any]]) -> None:
        self.notifications += notices

    async def record_failed(self, session: object, row: dict[str, Any], *, reason: str) -> None:
        self.accounting[row["id"]].update(state="failed", failure=reason, message=None)


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> FakeDeliveryQueries:
    fake = FakeDeliveryQueries()
    monkeypatch.setattr(delivery, "queries", fake)
    return fake


def _pending(queries: FakeDeliveryQueries) -> uuid.UUID:
    accounting_id, case_id = uuid.uuid4(), uuid.uuid4()
    cbp, dos = uuid.uuid4(), uuid.uuid4()
    event = DisclosureSent(
        accounting_id=accounting_id,
        case_id=case_id,
        program="M5",
        partner_country="AUS",
        matched=True,
        sent_at=NOW,
        case_opened_at=NOW,
        shared_by_owner={"CBP": 1, "DOS": 1},
    )
    queries.accounting[accounting_id] = {
        "id": accounting_id,
        "draft_id": uuid.uuid4(),
        "case_id": case_id,
        "sent_at": NOW,
        "analyst": "ana",
        "state": "pending",
        "message_id": "<m@tracs.local>",
        "message": b"sealed",
        "on_sent": {"owners": {"DOS": [str(dos)], "CBP": [str(cbp)]}, "event": event.model_dump(mode="json")},
    }
    return accounting_id


async def test_a_delivered_disclosure_is_sent_once_each_owner_told_of_its_own_encounters(
    queries: FakeDeliveryQueries,
) -> None:
    accounting_id = _pending(queries)
    owners = queries.accounting[accounting_id]["on_sent"]["owners"]
    uow = FakeUnitOfWork()
    assert await delivery.mark_sent(uow=uow, accounting_id=accounting_id, delivered_at=NOW) is True
    assert (queries.accounting[accounting_id]["state"], queries.accounting[accounting_id]["message"]) == ("sent", None)
    told = [(n["data_owner"], n["encounter_ids"], n["shared"], n["partner_country"]) for n in queries.notifications]
    assert told == [
        ("CBP", [uuid.UUID(owners["CBP"][0])], True, "AUS"),
        ("DOS", [uuid.UUID(owners["DOS"][0])], True, "AUS"),
    ]
    assert [type(e) for e in uow.events] == [DisclosureSent]
    assert uow.events[0].accounting_id == accounting_id

    again = FakeUnitOfWork()
    assert await delivery.mark_sent(uow=again, accounting_id=accounting_id, delivered_at=NOW) is False
    assert (len(queries.notifications), again.events) == (2, [])


async def test_a_relay_that_refuses_makes_the_attempt_failed(
    queries: FakeDeliveryQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused(*args: Any, **kwargs: Any) -> None:
        raise Unavailable("the mail relay did not accept the message")

    monkeypatch.setattr(delivery.mail, "deliver", refused)
    accounting_id = _pending(queries)
    uow = FakeUnitOfWork()
    with pytest.raises(Unavailable):
        await delivery.deliver(
            uow=uow, accounting_id=accounting_id, message=b"sealed", sender="o@x", recipient="r@y", smtp=("h", 25)
        )
    assert queries.accounting[accounting_id]["state"] == "failed"
    assert (queries.notifications, uow.events) == ([], [])


async def test_a_relay_that_stops_answering_leaves_the_disclosure_pending(
    queries: FakeDeliveryQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def uncertain(*args: Any, **kwargs: Any) -> None:
        raise mail.DeliveryUncertain("the mail relay stopped answering")

    monkeypatch.setattr(delivery.mail, "deliver", uncertain)
    accounting_id = _pending(queries)
    with pytest.raises(mail.DeliveryUncertain):
        await delivery.deliver(
            uow=FakeUnitOfWork(),
            accounting_id=accounting_id,
            message=b"sealed",
            sender="o@x",
            recipient="r@y",
            smtp=("h", 25),
        )
    assert queries.accounting[accounting_id]["state"] == "pending"  # it may have left: re-delivered at start
