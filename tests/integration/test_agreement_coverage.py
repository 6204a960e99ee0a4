"""Agreement coverage reaches intake: agreements stored before AgreementChanged existed are announced by
disclosure's migration, and intake's projection keeps the newest version of each agreement."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from services.intake.db import coverage as intake_db
from shared.db import create_engine, session_factory
from shared.events import decode
from shared.events.disclosure import AgreementChanged
from shared.migrations import upgrade
from tests.support import database_dsn

SERVICES = Path(__file__).parents[2] / "services"


@pytest.fixture
def database(empty_database: str) -> str:
    return empty_database


async def _stored_agreement(url: str, agreement_id: uuid.UUID) -> None:
    """An agreement revised once, as disclosure stored it before it published AgreementChanged."""
    conn = await asyncpg.connect(database_dsn(url))
    await conn.execute(
        "INSERT INTO agreements (id, name, current_version, created_by) VALUES ($1, 'M5 Chile', 2, 'it')", agreement_id
    )
    for version, partner in ((1, "CHL"), (2, "CHL")):
        await conn.execute(
            "INSERT INTO agreement_versions (agreement_id, version, partner_country, partner_agency, program, "
            "data_owners, ous, fields, di_categories, protected_classes, caveat, purposes, valid_from, valid_to, "
            "change_note, changed_by) VALUES ($1, $2, $3, 'PDI', 'M5', '{CBP}', '{*}', '{fin}', '{}', '{}', '', "
            "'{immigration}', $4, NULL, 'it', 'it')",
            agreement_id,
            version,
            partner,
            date(2015, 1, 1) if version == 1 else date(2016, 1, 1),
        )
    await conn.close()


async def _outbox(url: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_dsn(url))
    rows = await conn.fetch("SELECT topic, key, event_type, body FROM outbox ORDER BY id")
    await conn.close()
    return rows


def test_agreements_stored_before_the_event_existed_are_announced_once_at_their_current_version(database: str) -> None:
    agreement_id = uuid.uuid4()
    upgrade(database, SERVICES / "disclosure" / "migrations", "0002")
    asyncio.run(_stored_agreement(database, agreement_id))
    upgrade(database, SERVICES / "disclosure" / "migrations")
    (row,) = asyncio.run(_outbox(database))
    assert (row["topic"], row["key"], row["event_type"]) == (
        "tracs.disclosure.v1",
        str(agreement_id),
        "AgreementChanged",
    )
    envelope, event = decode(bytes(row["body"]))
    assert envelope.producer == "disclosure"
    assert event == AgreementChanged(
        agreement_id=agreement_id,
        version=2,
        name="M5 Chile",
        program="M5",
        partner_country="CHL",
        valid_from=date(2016, 1, 1),
    )


def _coverage(agreement_id: uuid.UUID, version: int, partner: str, valid_to: date | None = None) -> dict:
    return {
        "agreement_id": agreement_id,
        "version": version,
        "name": "M5 Chile",
        "program": "M5",
        "partner_country": partner,
        "valid_from": date(2016, 1, 1),
        "valid_to": valid_to,
    }


async def _project_and_ask(url: str) -> list[set[str]]:
    engine = create_engine(url, pool_size=1)
    sessions = session_factory(engine)
    chile, peru = uuid.uuid4(), uuid.uuid4()
    today = date.today()
    answers = []
    try:
        for batch in (
            [_coverage(chile, 2, "CHL"), _coverage(peru, 1, "PER", valid_to=date(2020, 12, 31))],
            [_coverage(chile, 1, "ARG")],  # an older version arriving late changes nothing
            [_coverage(chile, 3, "URY")],
        ):
            async with sessions() as session, session.begin():
                await intake_db.project_agreements(session, batch)
            async with sessions() as session:
                answers.append(await intake_db.covered_partners(session, "M5", ["CHL", "PER", "ARG", "URY"], today))
        async with sessions() as session:
            answers.append(await intake_db.covered_partners(session, "PCSC", ["URY"], today))
            answers.append(await intake_db.covered_partners(session, "M5", ["PER"], date(2019, 6, 1)))
    finally:
        await engine.dispose()
    return answers


def test_intake_keeps_the_newest_version_of_each_agreement_and_asks_what_is_in_force(database: str) -> None:
    upgrade(database, SERVICES / "intake" / "migrations")
    assert asyncio.run(_project_and_ask(database)) == [{"CHL"}, {"CHL"}, {"URY"}, set(), {"PER"}]
