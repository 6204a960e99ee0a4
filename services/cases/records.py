"""Reads of imported records: encounters and subjects for analysts (program-scoped), and for other services
(`/internal/v1`) a case's current values and an encounter's owner, so personal data is stored here alone."""

from __future__ import annotations

import uuid
from typing import Any

from services.cases import domain
from services.cases.db import records as queries
from services.cases.db import relinks as relink_queries
from services.cases.db import workbench as work
from shared import policy
from shared.errors import NotFound
from shared.uow import UnitOfWork


async def get_encounter(*, uow: UnitOfWork, encounter_id: uuid.UUID) -> dict[str, Any]:
    """One encounter with its flags, if the caller's programs may see it."""
    async with uow:
        row = await queries.get_encounter(uow.session, encounter_id)
        if row is None:
            raise NotFound(f"no encounter {encounter_id}")
        policy.require_visible(row["program"], f"no encounter {encounter_id}")
        flags = await queries.encounter_flags(uow.session, [encounter_id])
    return {**dict(row), "flags": [dict(f) for f in flags]}


async def list_encounters(
    *,
    uow: UnitOfWork,
    batch_id: uuid.UUID | None = None,
    fin: str | None = None,
    subject_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """A page of the encounters the caller's programs may see, in batch and row order, with the total."""
    async with uow:
        total, rows = await queries.list_encounters(
            uow.session,
            batch_id=batch_id,
            fin=fin,
            subject_id=subject_id,
            limit=limit,
            offset=offset,
            programs=policy.visible_programs(),
        )
    return total, [dict(r) for r in rows]


async def get_subject(*, uow: UnitOfWork, subject_id: uuid.UUID) -> dict[str, Any]:
    """A subject with the encounters the caller may see; one known only through other programs is hidden."""
    async with uow:
        subject = await queries.get_subject(uow.session, subject_id)
        if subject is None:
            raise NotFound(f"no subject {subject_id}")
        total, rows = await queries.list_encounters(
            uow.session,
            batch_id=None,
            fin=None,
            subject_id=subject_id,
            limit=1000,
            offset=0,
            programs=policy.visible_programs(),
        )
        # A subject known only through other programs does not exist for this caller; one whose encounters were
        # all re-linked away still does, through its cases.
        if total == 0 and not await relink_queries.has_cases(uow.session, subject_id, policy.visible_programs()):
            raise policy.Hidden(f"no subject {subject_id}")
        moves = [dict(m) for m in await relink_queries.of_subject(uow.session, subject_id)]
    return {**dict(subject), "encounter_count": total, "encounters": [dict(r) for r in rows], "relinks": moves}


async def subject_exists(*, uow: UnitOfWork, subject_id: uuid.UUID) -> dict[str, Any]:
    """That a subject exists (a re-link may move records to it), and how many encounters it has; no values."""
    async with uow:
        subject = await queries.get_subject(uow.session, subject_id)
        if subject is None:
            raise NotFound(f"no subject {subject_id}")
        total, _ = await queries.list_encounters(
            uow.session, batch_id=None, fin=None, subject_id=subject_id, limit=1, offset=0
        )
    return {"subject_id": subject_id, "encounter_count": total}


async def disclosure_view(
    *, uow: UnitOfWork, case_id: uuid.UUID, required: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """What a response may be built from, as it is now: the case, its encounters with their current values
    (corrections applied) and flags, its findings with the encounters they are about, and its readiness (the
    status and the searches its program requires that are not recorded; `required`: program -> searches)."""
    async with uow:
        case = await queries.get_case(uow.session, case_id)
        if case is None:
            raise NotFound(f"no case {case_id}")
        rows = await queries.case_encounter_rows(uow.session, case_id)
        flags = await queries.encounter_flags(uow.session, [r["id"] for r in rows])
        found = await queries.findings_of(uow.session, case_id)
        done = {s["system"] for s in await work.searches_of(uow.session, case_id)}
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
        "matched": True,  # cases opens a case for a matched encounter only; the response may still say no match
        "status": case["status"],
        "missing_searches": domain.missing_searches((required or {}).get(case["program"], []), done),
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


async def encounter_owner(*, uow: UnitOfWork, encounter_id: uuid.UUID) -> dict[str, Any]:
    """That a record exists, and whose it is (a correction is proposed to its data owner); no personal values."""
    async with uow:
        row = await queries.get_encounter(uow.session, encounter_id)
    if row is None:
        raise NotFound(f"no imported record {encounter_id}")
    return {
        "encounter_id": row["id"],
        "subject_id": row["subject_id"],
        "program": row["program"],
        "data_owner": row["data_owner"],
    }
