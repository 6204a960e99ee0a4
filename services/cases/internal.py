"""Cases' internal API (`/internal/v1`): personal data for other services, fetched when a user needs it.

Personal data is stored once, here. Disclosure asks for a case's current values when an analyst drafts or
sends a response; redress searches people here when an officer looks for a requester's records. Only the
`service` role may call these routes (a person's token gets 403), and the gateway does not forward them.
They are not program-scoped: the calling service applies its own user's visibility before it asks (disclosure
checks the case's program, redress needs REDRESS, whose officers search every program's records). Each call
is audited with the end user it was made for (`X-TRACS-On-Behalf-Of`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.cases import db
from shared import dob as dobs
from shared import names, person_search
from shared.errors import Invalid, NotFound
from shared.runtime import RuntimeDep
from shared.web import secured

router = APIRouter(prefix="/internal/v1", tags=["internal"])


@router.get("/cases/{case_id}/disclosure", **secured("case:disclose"))
async def disclosure_view(case_id: uuid.UUID, rt: RuntimeDep) -> dict[str, Any]:
    """What a response may be built from, as it is now: the case, its encounters with their current values
    (corrections applied) and flags, and its findings with the encounters they are about."""
    async with rt.uow() as uow:
        case = await db.get_case(uow.session, case_id)
        if case is None:
            raise NotFound(f"no case {case_id}")
        rows = await db.case_encounter_rows(uow.session, case_id)
        flags = await db.encounter_flags(uow.session, [r["id"] for r in rows])
        found = await db.findings_of(uow.session, case_id)
    by_encounter: dict[uuid.UUID, dict[str, Any]] = {}
    for f in flags:
        by_encounter.setdefault(f["encounter_id"], {})[f["flag"]] = f["value"]
    return {
        "case_id": case["id"],
        "subject_id": case["subject_id"],
        "program": case["program"],
        "partner_country": case["partner_country"],
        "partner_transaction_number": case["partner_transaction_number"],
        "opened_at": case["opened_at"],
        "matched": True,  # cases opens a case for a matched encounter only
        "encounters": [
            {
                "encounter_id": r["id"],
                "data_owner": r["data_owner"],
                "ous": r["fields"].get("ous"),
                "fields": r["fields"],
                "flags": by_encounter.get(r["id"], {}),
            }
            for r in rows
        ],
        "findings": [
            {
                "finding_id": f["id"],
                "kind": f["kind"],
                "text": f["text"],
                "accurate_as_of": f["accurate_as_of"],
                "encounter_ids": f["encounter_ids"],
            }
            for f in found
        ],
    }


@router.get("/people", **secured("person:search"))
async def search_people(
    rt: RuntimeDep,
    name: Annotated[str | None, Query(max_length=500)] = None,
    dob: Annotated[str | None, Query(max_length=10)] = None,
    document: Annotated[str | None, Query(max_length=64)] = None,
    fin: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Encounters of every program that may be about a person (name in any script, DOB of any precision,
    document, FIN), ranked as the case list ranks them, each with its names by field and why it matched."""
    query = names.NameQuery.parse(name) if name else None
    if name and query is None:
        raise Invalid("a name to search for needs at least one letter or digit")
    dob = dobs.check_query(dob) if dob else None
    if query is None and not dob and not document and not fin:
        raise Invalid("search by name, DOB, document or FIN")
    async with rt.uow() as uow:
        rows = await db.search_people(uow.session, name=query, dob=dob, document=document, fin=fin, limit=limit)
    return [_person(r, query, dob) for r in rows]


def _person(row: Any, query: names.NameQuery | None, dob: str | None) -> dict[str, Any]:
    stored = {f: row[f] for f in names.FIELDS}
    return {
        "encounter_id": row["encounter_id"],
        "subject_id": row["subject_id"],
        "subject_key": row["subject_key"],
        "fin": row["fin"],
        "name_search": row["name_search"],
        "names": {**stored, "aliases": list(stored.get("aliases") or [])},
        "dob": row["dob"],
        "dob_precision": dobs.precision(row["dob"]),
        "documents": [row[f] for f in db.DOCUMENT_FIELDS if row[f]],
        "program": row["program"],
        "data_owner": row["data_owner"],
        "imported_at": row["imported_at"],
        "match": person_search.explain(query, stored, dob, row["dob"]),
    }


@router.get("/encounters/{encounter_id}", **secured("person:search"))
async def encounter_owner(encounter_id: uuid.UUID, rt: RuntimeDep) -> dict[str, Any]:
    """That a record exists, and whose it is (a correction is proposed to its data owner); no personal values."""
    async with rt.uow() as uow:
        row = await db.get_encounter(uow.session, encounter_id)
    if row is None:
        raise NotFound(f"no imported record {encounter_id}")
    return {
        "encounter_id": row["id"],
        "subject_id": row["subject_id"],
        "program": row["program"],
        "data_owner": row["data_owner"],
    }
