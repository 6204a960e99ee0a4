"""Re-links: records (encounters) wrongly linked to another person's record, moved to their right subject.

Redress decides and keeps the decision; cases moves the records (RelinkAccepted), turns the cases of both
subjects stale and publishes the move, from which disclosure lists every past recipient for a correction
notice. Undo is another re-link back, never a delete: both steps stay on the request and in the audit.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from services.redress import domain
from services.redress.db import records as record_queries
from services.redress.db import relinks as queries
from services.redress.records import imported_record
from services.redress.requests import add_to_timeline, open_request
from shared.errors import Conflict, Invalid, NotFound, Unavailable
from shared.events.redress import RelinkAccepted
from shared.internal import InternalClient
from shared.uow import UnitOfWork


async def _subjects_now(cases: InternalClient, encounter_ids: list[uuid.UUID], actor: str) -> dict[Any, Any]:
    """Each record's subject as cases knows it now (and that every record exists)."""
    found = await asyncio.gather(*(imported_record(cases, e, actor) for e in encounter_ids))
    return {e: uuid.UUID(str(r["subject_id"])) for e, r in zip(encounter_ids, found, strict=True)}


async def _check_subject(cases: InternalClient, subject_id: uuid.UUID, actor: str) -> None:
    response = await cases.get(f"/internal/v1/subjects/{subject_id}", on_behalf_of=actor)
    if response.status_code == 404:
        raise NotFound(f"no subject {subject_id}")
    if response.status_code != 200:
        raise Unavailable(f"{cases.target} is unavailable; try again", service=cases.target)


async def relink(
    *,
    uow: UnitOfWork,
    cases: InternalClient,
    redress_id: uuid.UUID,
    encounter_ids: list[uuid.UUID],
    to_subject_id: uuid.UUID | None,
    reason: str,
) -> uuid.UUID:
    """Move linked records to another subject (`to_subject_id`), or to a new one (None)."""
    if not reason.strip():
        raise Invalid("a re-link states why the records belong to another person")
    async with uow:
        await open_request(uow, redress_id, stamp=False)
        linked = {r["encounter_id"] for r in await record_queries.request_links(uow.session, redress_id)}
    if not encounter_ids:
        raise Invalid("name the records to re-link")
    subjects = await _subjects_now(cases, encounter_ids, uow.actor)
    if to_subject_id is not None:
        await _check_subject(cases, to_subject_id, uow.actor)
    source = domain.check_relink(encounter_ids, subjects, linked, to_subject_id)
    return await _decide(
        uow,
        redress_id=redress_id,
        encounter_ids=encounter_ids,
        from_subject_id=source,
        to_subject_id=to_subject_id,
        reason=reason,
        undoes=None,
    )


async def undo(
    *, uow: UnitOfWork, cases: InternalClient, redress_id: uuid.UUID, relink_id: uuid.UUID, reason: str
) -> uuid.UUID:
    """Another re-link, moving the records back to the subject they left."""
    if not reason.strip():
        raise Invalid("undoing a re-link states why")
    async with uow:
        await open_request(uow, redress_id, stamp=False)
        original = await queries.get_relink(uow.session, redress_id, relink_id)
        if original is None:
            raise NotFound(f"no re-link {relink_id} on this request")
        if original["undone_by"] is not None:
            raise Conflict(f"this re-link was already undone by re-link {original['undone_by']}")
        original = dict(original)
    current = await _subjects_now(cases, list(original["encounter_ids"]), uow.actor)
    domain.check_undo(original, current)
    return await _decide(
        uow,
        redress_id=redress_id,
        encounter_ids=list(original["encounter_ids"]),
        from_subject_id=original["to_subject_id"],
        to_subject_id=original["from_subject_id"],
        reason=reason,
        undoes=relink_id,
    )


async def _decide(
    uow: UnitOfWork,
    *,
    redress_id: uuid.UUID,
    encounter_ids: list[uuid.UUID],
    from_subject_id: Any,
    to_subject_id: uuid.UUID | None,
    reason: str,
    undoes: uuid.UUID | None,
) -> uuid.UUID:
    relink_id = uuid.uuid4()
    new_subject = to_subject_id is None
    target = to_subject_id or uuid.uuid4()  # redress names the new subject, so the decision is complete here
    async with uow:
        await open_request(uow, redress_id)
        if undoes is not None:
            original = await queries.get_relink(uow.session, redress_id, undoes)
            if original is None or original["undone_by"] is not None:
                raise Conflict(f"re-link {undoes} was undone at the same moment by someone else")
            await queries.mark_undone(uow.session, undoes, relink_id)
        await queries.insert_relink(
            uow.session,
            {
                "id": relink_id,
                "redress_id": redress_id,
                "encounter_ids": encounter_ids,
                "from_subject_id": from_subject_id,
                "to_subject_id": target,
                "new_subject": new_subject,
                "reason": reason,
                "undoes": undoes,
                "decided_by": uow.actor,
            },
        )
        detail = {
            "relink_id": str(relink_id),
            "encounter_ids": [str(e) for e in encounter_ids],
            "from_subject_id": str(from_subject_id),
            "to_subject_id": str(target),
            **({"undoes": str(undoes)} if undoes else {}),
        }
        await add_to_timeline(uow, redress_id, "relink-undone" if undoes else "records-relinked", detail)
        uow.emit(
            RelinkAccepted(
                redress_id=redress_id,
                relink_id=relink_id,
                encounter_ids=encounter_ids,
                from_subject_id=from_subject_id,
                to_subject_id=target,
                new_subject=new_subject,
                undoes=undoes,
            )
        )
    return relink_id
