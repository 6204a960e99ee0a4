"""Redress use cases: receive a request, work it, propose corrections, resolve, respond, close, reopen."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.redress import db, domain
from shared import dob as dobs
from shared import names
from shared.errors import Conflict, Invalid, NotFound, Unavailable
from shared.events.redress import CorrectionAccepted, RedressStatusChanged
from shared.internal import InternalClient
from shared.uow import UnitOfWork


async def create_request(*, uow: UnitOfWork, data: dict[str, Any], sla_days: int, today: date) -> uuid.UUID:
    """Enter a request; a TRIP number already on file is refused with a pointer to its case."""
    intake = domain.Intake(
        data["source"], data.get("trip_number"), data.get("channel"), data["sent_on"], data["received_on"]
    )
    domain.check_intake(intake, today=today)
    redress_id = uuid.uuid4()
    due = domain.due_on(intake.received_on, sla_days)
    try:
        async with uow:
            if intake.trip_number and (existing := await db.by_trip_number(uow.session, intake.trip_number)):
                raise Conflict(
                    f"TRIP number {intake.trip_number} is already redress case {existing}",
                    existing_redress_id=str(existing),
                )
            await db.insert_request(
                uow.session,
                {
                    "id": redress_id,
                    **data,
                    "due_on": due,
                    "status": domain.Status.RECEIVED,
                    "created_by": uow.actor,
                    "updated_by": uow.actor,
                },
            )
            await db.add_event(uow.session, redress_id, uow.actor, "received", {"due_on": due.isoformat()})
            _status_event(uow, redress_id, data["source"], domain.Status.RECEIVED, intake.received_on, due, None)
    except IntegrityError as exc:
        raise Conflict(f"TRIP number {intake.trip_number} was entered at the same moment by someone else") from exc
    return redress_id


def _status_event(
    uow: UnitOfWork,
    redress_id: uuid.UUID,
    source: str,
    status: str,
    received: date,
    due: date,
    determination: str | None,
) -> None:
    uow.emit(
        RedressStatusChanged(
            redress_id=redress_id,
            source=source,
            status=status,
            received_on=received,
            due_on=due,
            determination=determination,
        )
    )


async def _open(uow: UnitOfWork, redress_id: uuid.UUID, *, working: bool = True) -> Any:
    row = await db.get_request(uow.session, redress_id, for_update=True)
    if row is None:
        raise NotFound(f"no redress request {redress_id}")
    if working and row["status"] == domain.Status.CLOSED:
        raise Conflict("the request is closed; reopen it with a reason first")
    if working and row["first_action_at"] is None:
        await db.update_request(uow.session, redress_id, first_action_at=datetime.now(UTC), updated_by=uow.actor)
    return row


async def assign_reviewer(*, uow: UnitOfWork, redress_id: uuid.UUID, reviewer: str) -> None:
    """OBIM personnel who review the request (PIA: their names are kept)."""
    async with uow:
        row = await _open(uow, redress_id)
        if reviewer not in row["reviewers"]:
            await db.update_request(
                uow.session, redress_id, reviewers=[*row["reviewers"], reviewer], updated_by=uow.actor
            )
            await db.add_event(uow.session, redress_id, uow.actor, "reviewer-assigned", {"reviewer": reviewer})


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
        if await db.get_request(uow.session, redress_id) is None:
            raise NotFound(f"no redress request {redress_id}")
    params = {"name": name, "dob": dob, "document": document, "fin": fin, "limit": CANDIDATES}
    response = await cases.get("/internal/v1/people", params=params, on_behalf_of=uow.actor)
    if response.status_code == 422:  # cases' own rule (a string) or its parameter limits (a list)
        detail = response.json().get("detail")
        raise Invalid(detail if isinstance(detail, str) else "the search terms are too long or malformed")
    if response.status_code != 200:
        raise Unavailable(f"{cases.target} is unavailable; try again", service=cases.target)
    return response.json()


CANDIDATES = 100  # the best-ranked records an officer sees for one search


async def _record(cases: InternalClient, encounter_id: uuid.UUID, actor: str) -> dict[str, Any]:
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
        await _open(uow, redress_id)
    await _record(cases, encounter_id, uow.actor)
    async with uow:
        await _open(uow, redress_id)
        if await db.link(
            uow.session, {"redress_id": redress_id, "encounter_id": encounter_id, "note": note, "linked_by": uow.actor}
        ):
            await db.add_event(uow.session, redress_id, uow.actor, "record-linked", {"encounter_id": str(encounter_id)})


async def record_finding(*, uow: UnitOfWork, redress_id: uuid.UUID, text: str) -> None:
    async with uow:
        await _open(uow, redress_id)
        await db.insert_finding(
            uow.session, {"id": uuid.uuid4(), "redress_id": redress_id, "text": text, "recorded_by": uow.actor}
        )
        await db.add_event(uow.session, redress_id, uow.actor, "finding-recorded", {})


async def propose_correction(
    *,
    uow: UnitOfWork,
    cases: InternalClient,
    redress_id: uuid.UUID,
    encounter_id: uuid.UUID,
    field: str,
    problem: str,
    proposed: str,
) -> uuid.UUID:
    """A discrepancy becomes a recommendation to the record's data owner (as cases knows it now), pending
    their decision."""
    domain.check_correction(field, proposed)
    correction_id = uuid.uuid4()
    async with uow:
        await _open(uow, redress_id)
        linked = {r["encounter_id"] for r in await db.request_links(uow.session, redress_id)}
        if encounter_id not in linked:
            raise Conflict("link the record to this request before proposing a correction to it")
    record = await _record(cases, encounter_id, uow.actor)
    async with uow:
        await _open(uow, redress_id)
        await db.insert_correction(
            uow.session,
            {
                "id": correction_id,
                "redress_id": redress_id,
                "encounter_id": encounter_id,
                "field": field,
                "problem": problem,
                "proposed": proposed,
                "data_owner": record["data_owner"] or "UNKNOWN",
                "decision": domain.Decision.PENDING,
                "recorded_by": uow.actor,
            },
        )
        await db.add_event(
            uow.session,
            redress_id,
            uow.actor,
            "correction-proposed",
            {"correction_id": str(correction_id), "field": field},
        )
    return correction_id


async def decide_correction(*, uow: UnitOfWork, redress_id: uuid.UUID, correction_id: uuid.UUID, decision: str) -> None:
    """The data owner's answer; an accepted correction is published for cases to apply."""
    async with uow:
        await _open(uow, redress_id)
        c = await db.get_correction(uow.session, redress_id, correction_id)
        if c is None:
            raise NotFound(f"no correction {correction_id} on this request")
        domain.check_decision(c["decision"], decision)
        await db.set_decision(
            uow.session, correction_id, decision=decision, decided_by=uow.actor, decided_at=datetime.now(UTC)
        )
        await db.add_event(
            uow.session, redress_id, uow.actor, f"correction-{decision}", {"correction_id": str(correction_id)}
        )
        if decision == domain.Decision.ACCEPTED:
            uow.emit(
                CorrectionAccepted(
                    redress_id=redress_id,
                    correction_id=correction_id,
                    encounter_id=c["encounter_id"],
                    field=c["field"],
                    corrected_value=c["proposed"],
                    data_owner=c["data_owner"],
                )
            )


async def change_status(
    *, uow: UnitOfWork, redress_id: uuid.UUID, action: str, determination: str | None, reason: str | None
) -> None:
    async with uow:
        row = await _open(uow, redress_id, working=False)
        decisions = [c["decision"] for c in await db.request_corrections(uow.session, redress_id)]
        target = domain.transition(
            action,
            row["status"],
            determination=determination,
            reason=reason,
            decisions=decisions,
            response_recorded=row["response"] is not None,
        )
        stamp = domain.TRANSITIONS[action][2]
        values: dict[str, Any] = {"status": target, stamp: datetime.now(UTC), "updated_by": uow.actor}
        if action == "resolve":
            values["determination"] = determination
        if action == "reopen":
            values.update(determination=None, response=None, resolved_at=None, closed_at=None)
        if row["first_action_at"] is None:
            values["first_action_at"] = values[stamp]
        await db.update_request(uow.session, redress_id, **values)
        await db.add_event(
            uow.session,
            redress_id,
            uow.actor,
            action,
            {k: v for k, v in (("determination", determination), ("reason", reason)) if v},
        )
        _status_event(
            uow,
            redress_id,
            row["source"],
            target,
            row["received_on"],
            row["due_on"],
            values.get("determination", row["determination"]),
        )


async def record_response(
    *, uow: UnitOfWork, redress_id: uuid.UUID, kind: str, channel: str | None, sent_on: date, note: str
) -> None:
    """Findings submitted to TRIP, or the response to the individual or agency, with its date."""
    async with uow:
        row = await _open(uow, redress_id)
        if row["status"] != domain.Status.RESOLVED:
            raise Conflict("record the response once the request is resolved")
        domain.check_response(row["source"], kind, channel)
        response = {
            "kind": kind,
            "channel": channel,
            "sent_on": sent_on.isoformat(),
            "note": note,
            "recorded_by": uow.actor,
        }
        await db.update_request(uow.session, redress_id, response=response, updated_by=uow.actor)
        await db.add_event(uow.session, redress_id, uow.actor, "response-recorded", {"kind": kind})


async def detail(*, uow: UnitOfWork, redress_id: uuid.UUID, today: date) -> dict[str, Any]:
    async with uow:
        row = await db.get_request(uow.session, redress_id)
        if row is None:
            raise NotFound(f"no redress request {redress_id}")
        out = dict(row)
        out["timeline"] = [dict(e) for e in await db.events(uow.session, redress_id)]
        out["linked_records"] = [dict(x) for x in await db.request_links(uow.session, redress_id)]
        out["findings"] = [dict(x) for x in await db.request_findings(uow.session, redress_id)]
        out["corrections"] = [dict(x) for x in await db.request_corrections(uow.session, redress_id)]
    out["overdue"] = domain.is_overdue(row["status"], row["due_on"], today=today)
    return out


async def listing(
    *,
    uow: UnitOfWork,
    status: str | None,
    overdue: bool,
    today: date,
    limit: int,
    offset: int,
    encounters: list[uuid.UUID] | None = None,
) -> list[dict[str, Any]]:
    async with uow:
        rows = await db.list_requests(
            uow.session,
            status=status,
            overdue_on=today if overdue else None,
            limit=limit,
            offset=offset,
            encounters=encounters,
        )
    return [{**dict(r), "overdue": domain.is_overdue(r["status"], r["due_on"], today=today)} for r in rows]
