"""The gauges sampled from a service's database (shared/gauges.py) read real rows on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession

from services.redress.app import sample_overdue
from services.redress.db import tables as redress_db
from shared import migrations
from shared.db import create_engine, session_factory
from shared.gauges import sample_audit, sample_dlq_pending, sample_outbox
from shared.messaging_tables import pending_of

ROOT = Path(__file__).resolve().parents[2]


def _value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


@pytest.fixture
async def session(empty_database: str) -> AsyncIterator[AsyncSession]:
    """A session on a scratch database migrated as redress's (its tables, outbox, inbox, audit trail)."""
    await asyncio.to_thread(migrations.upgrade, empty_database, ROOT / "services" / "redress" / "migrations")
    engine = create_engine(empty_database, pool_size=1)
    async with session_factory(engine)() as s:
        yield s
    await engine.dispose()


async def test_outbox_gauges_report_the_backlog_and_the_oldest_waiting_row(session: AsyncSession) -> None:
    outbox = redress_db.metadata.tables["outbox"]
    pending = pending_of(outbox)
    now = datetime.now(UTC)
    rows = [(now - timedelta(seconds=age), True) for age in (150, 30)] + [(now - timedelta(hours=1), False)]
    for created, waiting in rows:
        outbox_id = (
            await session.execute(
                outbox.insert()
                .values(
                    event_id=uuid.uuid4(),
                    topic="tracs.redress.v1",
                    key="k",
                    event_type="RedressStatusChanged",
                    correlation_id="c",
                    body=b"{}",
                    created_at=created,
                )
                .returning(outbox.c.id)
            )
        ).scalar_one()
        if waiting:
            await session.execute(pending.insert().values(id=outbox_id, created_at=created))
    await sample_outbox(session, outbox)
    assert _value("tracs_outbox_backlog") == 2  # the published hour-old row does not count
    oldest = _value("tracs_outbox_oldest_unpublished_seconds")
    assert oldest is not None and 150 <= oldest < 150 + 60
    await session.execute(pending.delete())  # the relay published them
    await sample_outbox(session, outbox)
    assert (_value("tracs_outbox_backlog"), _value("tracs_outbox_oldest_unpublished_seconds")) == (0, 0)


async def test_dlq_pending_counts_dead_lettered_inbox_rows_per_subscription(session: AsyncSession) -> None:
    inbox = redress_db.metadata.tables["inbox"]
    statuses = [("redress.records", "dead-lettered")] * 3 + [
        ("redress.records", "done"),
        ("redress.records", "dropped"),
        ("redress.purges", "done"),
    ]
    await session.execute(inbox.insert(), [{"consumer": c, "event_id": uuid.uuid4(), "status": s} for c, s in statuses])
    await sample_dlq_pending(session, inbox, ["redress.records", "redress.purges"])
    assert _value("tracs_dlq_pending", consumer="redress.records") == 3
    assert _value("tracs_dlq_pending", consumer="redress.purges") == 0


async def test_redress_overdue_counts_open_requests_past_their_due_date_per_source(session: AsyncSession) -> None:
    today = datetime.now(UTC).date()

    def request(source: str, due: date, status: str) -> dict:
        return {
            "id": uuid.uuid4(),
            "source": source,
            "trip_number": None,
            "sent_on": due - timedelta(days=40),
            "received_on": due - timedelta(days=30),
            "due_on": due,
            "requester": {},
            "submitting_agency": "CBP",
            "contested_information": "encounter",
            "reason": "misidentified",
            "status": status,
            "created_by": "t",
            "updated_by": "t",
        }

    past, future = today - timedelta(days=3), today + timedelta(days=3)
    await session.execute(
        redress_db.requests.insert(),
        [
            request("TRIP", past, "received"),
            request("TRIP", past, "under-review"),
            request("TRIP", past, "closed"),  # closed: not overdue whatever its date
            request("TRIP", today, "received"),  # due today: not yet overdue
            request("non-TRIP", future, "received"),
        ],
    )
    await sample_overdue(session)
    assert _value("tracs_redress_overdue", source="TRIP") == 2
    assert _value("tracs_redress_overdue", source="non-TRIP") == 0


async def test_audit_gauges_report_entries_the_sequencer_has_not_linked_and_their_age(session: AsyncSession) -> None:
    trail = redress_db.metadata.tables["audit_trail"]
    now = datetime.now(UTC)
    rows = [(now - timedelta(seconds=age), seq) for age, seq in ((400, None), (20, None), (900, 1))]
    await session.execute(
        trail.insert(),
        [
            {"at": at, "seq": seq, "actor": "a", "action": "x", "record_type": "r", "fields": [], "outcome": "allowed"}
            for at, seq in rows
        ],
    )
    await sample_audit(session, trail)
    assert _value("tracs_audit_unsequenced_entries") == 2  # the linked one does not count
    lag = _value("tracs_audit_sequencer_lag_seconds")
    assert lag is not None and 400 <= lag < 400 + 60
