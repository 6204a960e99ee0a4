"""Cases use cases: attach imported encounters to subjects, read encounters and subjects."""

from __future__ import annotations

import uuid
from typing import Any

from services.cases import db, domain
from shared.errors import NotFound
from shared.events.cases import EncounterAttached
from shared.events.intake import EncounterImported
from shared.inbox import Delivered
from shared.uow import UnitOfWork


async def attach_encounters(uow: UnitOfWork, delivered: list[Delivered]) -> None:
    """Turn imported rows into subjects and encounters in one transaction; replays change nothing."""
    imported = [(d.envelope, d.event) for d in delivered if isinstance(d.event, EncounterImported)]
    if not imported:
        return
    async with uow:
        subject_rows = {
            e.subject_key: {
                "id": uuid.uuid4(),
                "subject_key": e.subject_key,
                **domain.identity_of(e.subject_key),
            }
            for _, e in imported
        }
        subject_ids = await db.upsert_subjects(uow.session, list(subject_rows.values()))
        rows = [
            {
                "id": e.encounter_id,
                "subject_id": subject_ids[e.subject_key],
                "batch_id": e.batch_id,
                "row_number": e.row_number,
                "program": e.program,
                "upload_kind": e.upload_kind,
                "fin": e.fields.fin,
                "last_name": e.fields.last_name,
                "first_name": e.fields.first_name,
                "dob": e.fields.dob,
                "data_owner": e.fields.data_owner,
                "partner_country": e.fields.partner_country,
                "partner_transaction_number": e.fields.partner_transaction_number,
                "name_search": domain.name_search_text(e.fields),
                "fields": e.fields.model_dump(mode="json"),
                "raw": e.raw,
                "extra": e.extra,
                "imported_by": env.actor,
                "imported_at": env.occurred_at,
            }
            for env, e in imported
        ]
        new_ids = set(await db.insert_encounters(uow.session, rows))
        for env, e in imported:
            if e.encounter_id in new_ids:
                uow.emit(
                    EncounterAttached(
                        encounter_id=e.encounter_id,
                        subject_id=subject_ids[e.subject_key],
                        batch_id=e.batch_id,
                        program=e.program,
                        upload_kind=e.upload_kind,
                        data_owner=e.fields.data_owner,
                        partner_country=e.fields.partner_country,
                        protected_class=e.fields.protected_class,
                        encounter_date=e.fields.encounter_date,
                    ),
                    causation_id=str(env.event_id),
                    correlation_id=env.correlation_id,
                )


async def get_encounter(*, uow: UnitOfWork, encounter_id: uuid.UUID) -> dict[str, Any]:
    async with uow:
        row = await db.get_encounter(uow.session, encounter_id)
    if row is None:
        raise NotFound(f"no encounter {encounter_id}")
    return dict(row)


async def list_encounters(
    *,
    uow: UnitOfWork,
    batch_id: uuid.UUID | None = None,
    fin: str | None = None,
    subject_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    async with uow:
        total, rows = await db.list_encounters(
            uow.session, batch_id=batch_id, fin=fin, subject_id=subject_id, limit=limit, offset=offset
        )
    return total, [dict(r) for r in rows]


async def get_subject(*, uow: UnitOfWork, subject_id: uuid.UUID) -> dict[str, Any]:
    async with uow:
        subject = await db.get_subject(uow.session, subject_id)
        if subject is None:
            raise NotFound(f"no subject {subject_id}")
        total, rows = await db.list_encounters(
            uow.session, batch_id=None, fin=None, subject_id=subject_id, limit=1000, offset=0
        )
    return {**dict(subject), "encounter_count": total, "encounters": [dict(r) for r in rows]}
