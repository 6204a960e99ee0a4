"""The search for imported records about a requester, through cases' internal API (redress keeps no copy),
and what the officer keeps of it: the records linked to the request and the findings of the search."""

from __future__ import annotations

import uuid
from typing import Any

from services.redress.db import records as queries
from services.redress.db import requests as request_queries
from services.redress.requests import add_to_timeline, open_request
from shared import dob as dobs
from shared import names
from shared.errors import Invalid, NotFound, Unavailable
from shared.internal import InternalClient
from shared.uow import UnitOfWork

CANDIDATES = 100  # the best-ranked records an officer sees for one search


async def candidates(
    *,
    uow: UnitOfWork,
    cases: InternalClient,
    redress_id: uuid.UUID,
    name: str | None,
    dob: str | None,
    document: str | None,
    fin: str | None,
) -> list[dict[str, Any]]:
    """Imported records that may be about the requester (by name in any script, DOB of any precision, document,
    FIN), found by cases' own search (redress keeps no copy), ranked as the case list ranks them, each saying
    why it matched. Every program's records: redress officers search them all (REDRESS membership suffices)."""
    if name and names.NameQuery.parse(name) is None:
        raise Invalid("a name to search for needs at least one letter or digit")
    dob = dobs.check_query(dob) if dob else None
    if not (name or dob or document or fin):
        raise Invalid("search by name, DOB, document or FIN")
    async with uow:
        if await request_queries.get_request(uow.session, redress_id) is None:
            raise NotFound(f"no redress request {redress_id}")
    params = {"name": name, "dob": dob, "document": document, "fin": fin, "limit": CANDIDATES}
    response = await cases.get("/internal/v1/people", params=params, on_behalf_of=uow.actor)
    if response.status_code == 422:  # cases' own rule (a string) or its parameter limits (a list)
        detail = response.json().get("detail")
        raise Invalid(detail if isinstance(detail, str) else "the search terms are too long or malformed")
    if response.status_code != 200:
        raise Unavailable(f"{cases.target} is unavailable; try again", service=cases.target)
    return response.json()


async def imported_record(cases: InternalClient, encounter_id: uuid.UUID, actor: str) -> dict[str, Any]:
    """That an imported record exists, and its data owner, from cases."""
    response = await cases.get(f"/internal/v1/encounters/{encounter_id}", on_behalf_of=actor)
    if response.status_code == 404:
        raise NotFound(f"no imported record {encounter_id}")
    if response.status_code != 200:
        raise Unavailable(f"{cases.target} is unavailable; try again", service=cases.target)
    return response.json()


async def link_record(
    *, uow: UnitOfWork, cases: InternalClient, redress_id: uuid.UUID, encounter_id: uuid.UUID, note: str
) -> None:
    """Only the record's id and the officer's note are kept; the record itself stays in cases."""
    async with uow:
        await open_request(uow, redress_id)
    await imported_record(cases, encounter_id, uow.actor)
    async with uow:
        await open_request(uow, redress_id)
        if await queries.link(
            uow.session, {"redress_id": redress_id, "encounter_id": encounter_id, "note": note, "linked_by": uow.actor}
        ):
            await add_to_timeline(uow, redress_id, "record-linked", {"encounter_id": str(encounter_id)})


async def record_finding(*, uow: UnitOfWork, redress_id: uuid.UUID, text: str) -> None:
    """What the officer's search found, in their words, kept with the request."""
    async with uow:
        await open_request(uow, redress_id)
        await queries.insert_finding(
            uow.session, {"id": uuid.uuid4(), "redress_id": redress_id, "text": text, "recorded_by": uow.actor}
        )
        await add_to_timeline(uow, redress_id, "finding-recorded", {})
