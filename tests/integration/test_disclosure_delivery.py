"""Disclosure's accounting around the mail relay, on a real PostgreSQL: a relay that refuses a first hand-off
makes the attempt failed and the draft sendable again; a pending disclosure (it may have left) is never made
failed by the resolver, however the relay answers."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest

from services.disclosure import delivery
from services.disclosure.db import tables
from shared.db import create_engine, session_factory
from shared.errors import Unavailable
from shared.migrations import upgrade
from shared.uow import UnitOfWork
from tests.support import database_dsn
from tracs.infra import free_port

MIGRATIONS = Path(__file__).parents[2] / "services" / "disclosure" / "migrations"


@pytest.fixture
def database(empty_database: str) -> str:
    upgrade(empty_database, MIGRATIONS)
    return empty_database


async def _pending(conn: asyncpg.Connection, draft_id: uuid.UUID) -> uuid.UUID:
    """A draft being sent and its pending accounting row, as `send` commits them before the hand-off."""
    accounting_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO accounting (id, draft_id, case_id, subject_id, sent_at, nature, purpose, recipient_id, "
        "recipient_agency, recipient_person, recipient_email, analyst, agreement_id, agreement_version, matched, "
        "digest, encounter_ids, fields, state, message_id, message_digest, message, on_sent) VALUES ($1, $2, $3, "
        "$3, now(), 'n', 'p', $3, 'a', 'p', 'x@y.example', 'analyst', $3, 1, true, 'd', '{}', '{}', 'pending', "
        "'<m@tracs.local>', 'md', 'Subject: x\r\n\r\nx'::bytea, '{\"owners\": {}, \"event\": {}}')",
        accounting_id,
        draft_id,
        uuid.uuid4(),
    )
    return accounting_id


async def test_a_refused_first_hand_off_is_a_failed_attempt_and_a_pending_one_is_never_failed(database: str) -> None:
    conn = await asyncpg.connect(database_dsn(database))
    agreement, recipient, draft = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await conn.execute(
        "INSERT INTO agreements (id, name, current_version, created_by) VALUES ($1, 'A', 1, 'it')", agreement
    )
    await conn.execute(
        "INSERT INTO recipients (id, agreement_id, person, email, created_by) "
        "VALUES ($1, $2, 'p', 'x@y.example', 'it')",
        recipient,
        agreement,
    )
    await conn.execute(
        "INSERT INTO drafts (id, case_id, agreement_id, agreement_version, recipient_id, purpose, note, released, "
        "withheld, body, status, created_by) VALUES ($1, $2, $3, 1, $4, 'p', '', '{}', '[]', 'b', 'sending', 'it')",
        draft,
        uuid.uuid4(),
        agreement,
        recipient,
    )
    engine = create_engine(database)
    sessions = session_factory(engine)

    def uow(**kw: object) -> UnitOfWork:
        return UnitOfWork(sessions, tables.outbox, producer="disclosure", correlation_id="it", **kw)  # type: ignore[arg-type]

    relay_down = ("127.0.0.1", free_port())
    try:
        first = await _pending(conn, draft)
        with pytest.raises(Unavailable, match="did not accept the message"):
            await delivery.deliver(
                uow=uow(),
                accounting_id=first,
                message=b"x",
                sender="o@x.example",
                recipient="x@y.example",
                smtp=relay_down,
            )
        row = await conn.fetchrow("SELECT state, failure, message FROM accounting WHERE id = $1", first)
        assert row["state"] == "failed" and "did not accept" in row["failure"] and row["message"] is None
        # Its approval was of the same body: it is approved again and can be sent again.
        assert await conn.fetchval("SELECT status FROM drafts WHERE id = $1", draft) == "approved"

        # Sent again: a second attempt is accounted beside the failed one; only one may be pending or sent.
        second = await _pending(conn, draft)
        with pytest.raises(asyncpg.UniqueViolationError):
            await _pending(conn, draft)
        assert await delivery.resolve_pending(uow_factory=uow, sender="o@x.example", smtp=relay_down) == 1
        assert await conn.fetchval("SELECT state FROM accounting WHERE id = $1", second) == "pending"
    finally:
        await conn.close()
        await engine.dispose()
