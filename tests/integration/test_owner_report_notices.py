"""An owner's report's recipient is told like any recipient of the encounters it named (issue 28), on a real
PostgreSQL: listed for a removal, for a correction of a field it carried (not of another), for an owner's deletion,
which also takes the encounter's identifiers out of the report; redress's notice to the owner itself is not."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import asyncpg
import pytest

from services.disclosure import notices, owner_deletions
from services.disclosure.db import notices as notice_queries
from services.disclosure.db import projection as projection_queries
from services.disclosure.db import tables
from shared.db import create_engine, session_factory
from shared.events.cases import EncounterDeleted, EncounterWithdrawn
from shared.events.envelope import wrap
from shared.inbox import Delivered
from shared.migrations import upgrade
from shared.uow import UnitOfWork
from tests.support import database_dsn

MIGRATIONS = Path(__file__).parents[2] / "services" / "disclosure" / "migrations"


@pytest.fixture
def database(empty_database: str) -> str:
    upgrade(empty_database, MIGRATIONS)
    return empty_database


async def _seed(conn: asyncpg.Connection, encounter: uuid.UUID) -> dict[str, uuid.UUID]:
    """A sent owner's report naming the encounter by EID and FIN, its accounting row, and a redress owner notice."""
    ids = {k: uuid.uuid4() for k in ("agreement", "recipient", "report", "row", "notice_row", "subject", "case")}
    await conn.execute(
        "INSERT INTO agreements (id, name, current_version, created_by) VALUES ($1, 'DOS', 1, 'it')", ids["agreement"]
    )
    await conn.execute(
        "INSERT INTO recipients (id, agreement_id, person, email, created_by) "
        "VALUES ($1, $2, 'desk', 'alerts@state.example', 'it')",
        ids["recipient"],
        ids["agreement"],
    )
    other = str(uuid.uuid4())
    items = [
        {
            "case_id": str(ids["case"]),
            "subject_id": str(ids["subject"]),
            "encounter_ids": sorted([str(encounter), other]),
            "identifiers": {str(encounter): {"eid": "EID-9", "fin": "F9"}, other: {"eid": "EID-8"}},
        }
    ]
    body = f"Report\n   Encounter {encounter}: EID EID-9, FIN F9\n   Encounter {other}: EID EID-8\n"
    await conn.execute(
        "INSERT INTO owner_report_sends (id, owner, recipient_id, agreement_id, agreement_version, period_from, "
        "period_to, items, body, status, created_by) VALUES ($1, 'DOS', $2, $3, 1, $4, $4, $5::jsonb, $6, 'sent', "
        "'it')",
        ids["report"],
        ids["recipient"],
        ids["agreement"],
        dt.date(2026, 12, 1),
        json.dumps(items),
        body,
    )
    await conn.execute(
        "INSERT INTO accounting (id, kind, report_id, case_id, subject_id, sent_at, nature, purpose, recipient_id, "
        "recipient_agency, recipient_person, recipient_email, analyst, agreement_id, agreement_version, matched, "
        "digest, encounter_ids, fields, state) VALUES ($1, 'owner-report', $2, $3, $4, now(), 'report', "
        "'owner-referral', $5, 'Department of State', 'desk', 'alerts@state.example', 'analyst', $6, 1, true, 'd', "
        "$7, '{eid,fin}', 'sent')",
        ids["row"],
        ids["report"],
        ids["case"],
        ids["subject"],
        ids["recipient"],
        ids["agreement"],
        [encounter],
    )
    await conn.execute(
        "INSERT INTO accounting (id, kind, owner_notice_id, subject_id, sent_at, delivered_at, nature, purpose, "
        "recipient_agency, analyst, matched, encounter_ids, fields, state) VALUES ($1, 'redress-owner-notice', $2, $3, "
        "now(), now(), 'notice', 'redress', 'DOS', 'officer', true, $4, '{}', 'sent')",
        ids["notice_row"],
        uuid.uuid4(),
        ids["subject"],
        [encounter],
    )
    return ids


def _delivered(event: object) -> Delivered:
    envelope = wrap(event, producer="cases", correlation_id="it", actor="po")  # type: ignore[arg-type]
    return Delivered(envelope=envelope, event=event)  # type: ignore[arg-type]


async def test_a_reports_recipient_is_listed_for_a_removal_a_carried_fields_correction_and_a_deletion(
    database: str,
) -> None:
    conn = await asyncpg.connect(database_dsn(database))
    engine = create_engine(database)
    sessions = session_factory(engine)

    def uow(**kw: object) -> UnitOfWork:
        return UnitOfWork(sessions, tables.outbox, producer="disclosure", correlation_id="it", **kw)  # type: ignore[arg-type]

    encounter = uuid.uuid4()
    try:
        ids = await _seed(conn, encounter)
        async with uow() as u:
            removal = [r.id for r in await notice_queries.disclosures_of_encounter(u.session, encounter)]
            eid = [
                r.id for r in await projection_queries.disclosures_with(u.session, encounter_id=encounter, field="eid")
            ]
            dob = await projection_queries.disclosures_with(u.session, encounter_id=encounter, field="dob")
            relink = [r.id for r in await projection_queries.disclosures_of(u.session, encounter)]
        # The report's row, never redress's notice to the owner itself; a correction only of a field it carried.
        assert (removal, eid, dob, relink) == ([ids["row"]], [ids["row"]], [], [ids["row"]])

        withdrawn = EncounterWithdrawn(
            encounter_id=encounter, subject_id=ids["subject"], case_ids=[ids["case"]], program="M5",
            upload_kind="partner-query", data_owner="DOS", attached_on=dt.date(2026, 12, 1), requested_by="FBI-TSC",
            referral_id=uuid.uuid4(),
        )  # fmt: skip
        await notices.withdrawn(uow(), [_delivered(withdrawn)])
        listed = await notices.removal_notices(uow=uow(), encounter_id=encounter)
        assert [(n["accounting_id"], n["recipient_email"]) for n in listed] == [(ids["row"], "alerts@state.example")]

        deleted = EncounterDeleted(
            encounter_id=encounter, subject_id=ids["subject"], batch_id=uuid.uuid4(), row_number=2,
            data_owner="DOS", reason="expunged",
        )  # fmt: skip
        await owner_deletions.deleted(uow(), [_delivered(deleted)])
        report = await conn.fetchrow("SELECT items, body FROM owner_report_sends WHERE id = $1", ids["report"])
        items = json.loads(report["items"])
        assert items[0]["identifiers"][str(encounter)] == {} and "EID-8" in json.dumps(items)
        assert "EID-9" not in report["body"] and "F9" not in report["body"] and "EID-8" in report["body"]
        assert f"Encounter {encounter}: [identifiers removed at DOS's deletion notice]" in report["body"]
    finally:
        await conn.close()
        await engine.dispose()
