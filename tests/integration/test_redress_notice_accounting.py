"""Redress's notices to system owners in disclosure's accounting, on a real PostgreSQL: migration 0013 takes rows
without a draft only as redress owner notices, a redelivered notice adds no row, the accounting by subject lists
it with its kind, and the lists of past recipients to tell of a correction or removal leave it out."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import asyncpg
import pytest
from alembic import command

from services.disclosure import redress_notices
from services.disclosure.db import disclosures as disclosure_queries
from services.disclosure.db import notices as notice_queries
from services.disclosure.db import projection as projection_queries
from services.disclosure.db import tables
from shared import policy
from shared.auth import Principal
from shared.db import create_engine, session_factory
from shared.events.envelope import wrap
from shared.events.redress import NoticedRecord, OwnerNoticeSent
from shared.inbox import Delivered
from shared.migrations import alembic_config, upgrade
from shared.uow import UnitOfWork
from tests.support import database_dsn

MIGRATIONS = Path(__file__).parents[2] / "services" / "disclosure" / "migrations"


@pytest.fixture
def database(empty_database: str) -> str:
    upgrade(empty_database, MIGRATIONS)
    return empty_database


async def test_a_notice_is_accounted_per_subject_once_and_listed_by_subject_with_its_kind(database: str) -> None:
    conn = await asyncpg.connect(database_dsn(database))
    anna, case, e1, e2 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await conn.execute(
        "INSERT INTO case_view (case_id, subject_id, program, matched, opened_at) VALUES ($1, $2, 'M5', true, now())",
        case,
        anna,
    )
    await conn.execute("INSERT INTO case_members (case_id, encounter_id) VALUES ($1, $2)", case, e1)
    engine = create_engine(database)
    sessions = session_factory(engine)

    def uow() -> UnitOfWork:
        return UnitOfWork(sessions, tables.outbox, producer="disclosure", correlation_id="it")  # type: ignore[arg-type]

    notice = OwnerNoticeSent(
        notice_id=uuid.uuid4(),
        redress_id=uuid.uuid4(),
        data_owner="CBP",
        channel="email",
        sent_on=dt.date(2026, 11, 24),
        sent_by="officer",
        records=[NoticedRecord(encounter_id=e1, subject_id=anna), NoticedRecord(encounter_id=e2, subject_id=anna)],
    )
    delivered = Delivered(wrap(notice, producer="redress", correlation_id="it"), notice)
    try:
        await redress_notices.owner_notice_sent(uow(), [delivered, delivered])
        await redress_notices.owner_notice_sent(uow(), [delivered])  # the inbox aside, the row's key holds
        async with uow() as u:
            rows = await disclosure_queries.accounted(u.session, subject=anna, recipient=None, start=None, end=None)
            carried = await projection_queries.disclosures_of(u.session, e1)
            removals = await notice_queries.disclosures_of_encounter(u.session, e1)
        [row] = rows
        assert (row["referral_kind"], row["state"], row["case_id"], row["recipient_agency"]) == (
            "redress-owner-notice",
            "sent",
            case,
            "CBP",
        )
        assert (
            row["encounter_ids"] == [e1, e2] and row["draft_id"] is None and row["owner_notice_id"] == notice.notice_id
        )
        assert row["sent_at"] == dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
        assert carried == [] and removals == []  # the owner is not told of its own records' correction or removal
        # A row without a draft that is not a redress owner notice is refused by the table itself.
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO accounting (id, subject_id, sent_at, nature, purpose, recipient_agency, analyst, "
                "matched, encounter_ids, fields) VALUES ($1, $2, now(), 'n', 'p', 'a', 'x', true, '{}', '{}')",
                uuid.uuid4(),
                anna,
            )
    finally:
        await engine.dispose()
        await conn.close()


async def test_a_notice_accounted_before_the_read_model_had_a_case_is_seen_by_its_records_programs(
    database: str,
) -> None:
    conn = await asyncpg.connect(database_dsn(database))
    anna, e1 = uuid.uuid4(), uuid.uuid4()
    await conn.execute(
        "INSERT INTO encounter_projection (encounter_id, subject_id, program, special_protected) "
        "VALUES ($1, $2, 'M5', false)",
        e1,
        anna,
    )
    engine = create_engine(database)
    sessions = session_factory(engine)

    def uow() -> UnitOfWork:
        return UnitOfWork(sessions, tables.outbox, producer="disclosure", correlation_id="it")  # type: ignore[arg-type]

    notice = OwnerNoticeSent(
        notice_id=uuid.uuid4(),
        redress_id=uuid.uuid4(),
        data_owner="CBP",
        channel="fax",
        sent_on=dt.date(2026, 11, 24),
        sent_by="officer",
        records=[NoticedRecord(encounter_id=e1, subject_id=anna)],
    )
    delivered = Delivered(wrap(notice, producer="redress", correlation_id="it"), notice)
    await redress_notices.owner_notice_sent(uow(), [delivered])

    async def seen_by(*programs: str) -> list[dict]:
        policy.enter(Principal("reader", frozenset({"auditor"}), frozenset(programs)))
        async with uow() as u:
            return await disclosure_queries.accounted(u.session, subject=anna, recipient=None, start=None, end=None)

    try:
        [row] = await seen_by("M5", "REDRESS")
        assert row["case_id"] is None and row["referral_kind"] == "redress-owner-notice"
        assert await seen_by("PCSC") == []
    finally:
        await engine.dispose()
        await conn.close()


def test_the_migration_goes_back_to_drafted_rows_only(database: str) -> None:
    command.downgrade(alembic_config(database, MIGRATIONS), "0012")
    upgrade(database, MIGRATIONS)
