"""Redress requests from receipt to closure: receive, assign, resolve, respond, close, reopen; the views of them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.redress import domain
from services.redress.db import corrections as correction_queries
from services.redress.db import owner_notices as notice_queries
from services.redress.db import records as record_queries
from services.redress.db import relinks as relink_queries
from services.redress.db import requests as queries
from services.redress.db import search_log as search_queries
from shared.errors import Conflict, NotFound
from shared.events.redress import RedressStatusChanged
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
            if intake.trip_number and (existing := await queries.by_trip_number(uow.session, intake.trip_number)):
                raise Conflict(
                    f"TRIP number {intake.trip_number} is already redress case {existing}",
                    existing_redress_id=str(existing),
                )
            await queries.insert_request(
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
            await add_to_timeline(uow, redress_id, "received", {"due_on": due.isoformat()})
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


async def open_request(uow: UnitOfWork, redress_id: uuid.UUID, *, working: bool = True, stamp: bool = True) -> Any:
    """The request, locked; work on it is refused while closed, and the first such work is dated (`stamp`
    False: only checked, for a first look before asking cases, so that a refusal after it writes nothing)."""
    row = await queries.get_request(uow.session, redress_id, for_update=True)
    if row is None:
        raise NotFound(f"no redress request {redress_id}")
    if working and row["status"] == domain.Status.CLOSED:
        raise Conflict("the request is closed; reopen it with a reason first")
    if working and stamp and row["first_action_at"] is None:
        await queries.update_request(uow.session, redress_id, first_action_at=datetime.now(UTC), updated_by=uow.actor)
    return row


async def add_to_timeline(uow: UnitOfWork, redress_id: uuid.UUID, action: str, detail: dict[str, Any]) -> None:
    """Every step on a request is kept on its timeline, with who took it."""
    await queries.add_event(uow.session, redress_id, uow.actor, action, detail)


async def assign_reviewer(*, uow: UnitOfWork, redress_id: uuid.UUID, reviewer: str) -> None:
    """OBIM personnel who review the request (PIA: their names are kept). A new reviewer of a request whose SLA
    nearing was already announced is told too: the announcement is made again (the gateway keeps one notice per
    person and due date, so the others are not told twice)."""
    async with uow:
        row = await open_request(uow, redress_id)
        if reviewer not in row["reviewers"]:
            await queries.update_request(
                uow.session,
                redress_id,
                reviewers=[*row["reviewers"], reviewer],
                sla_warned_for=None,
                updated_by=uow.actor,
            )
            await add_to_timeline(uow, redress_id, "reviewer-assigned", {"reviewer": reviewer})


async def change_status(
    *,
    uow: UnitOfWork,
    redress_id: uuid.UUID,
    action: str,
    determination: str | None,
    reason: str | None,
    required: Sequence[str] = (),
) -> None:
    """Move the request along its workflow (resolving needs the `required` searches logged); reporting follows
    it through the status event."""
    async with uow:
        row = await open_request(uow, redress_id, working=False)
        decisions = [c["decision"] for c in await correction_queries.request_corrections(uow.session, redress_id)]
        done = {s["system"] for s in await search_queries.searches_of(uow.session, redress_id)}
        target = domain.transition(
            action,
            row["status"],
            determination=determination,
            reason=reason,
            decisions=decisions,
            response_recorded=row["response"] is not None,
            missing_searches=domain.missing_searches(list(required), done),
        )
        stamp = domain.TRANSITIONS[action][2]
        values: dict[str, Any] = {"status": target, stamp: datetime.now(UTC), "updated_by": uow.actor}
        if action == "resolve":
            values["determination"] = determination
        if action == "reopen":
            values.update(determination=None, response=None, resolved_at=None, closed_at=None)
        if row["first_action_at"] is None:
            values["first_action_at"] = values[stamp]
        await queries.update_request(uow.session, redress_id, **values)
        await add_to_timeline(
            uow, redress_id, action, {k: v for k, v in (("determination", determination), ("reason", reason)) if v}
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
        row = await open_request(uow, redress_id)
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
        await queries.update_request(uow.session, redress_id, response=response, updated_by=uow.actor)
        await add_to_timeline(uow, redress_id, "response-recorded", {"kind": kind})


async def detail(
    *, uow: UnitOfWork, redress_id: uuid.UUID, today: date, required: Sequence[str] = ()
) -> dict[str, Any]:
    """The request with everything done on it, as an officer reviews it, and the searches still required."""
    async with uow:
        row = await queries.get_request(uow.session, redress_id)
        if row is None:
            raise NotFound(f"no redress request {redress_id}")
        out = dict(row)
        out["timeline"] = [dict(e) for e in await queries.events(uow.session, redress_id)]
        out["linked_records"] = [dict(x) for x in await record_queries.request_links(uow.session, redress_id)]
        out["findings"] = [dict(x) for x in await record_queries.request_findings(uow.session, redress_id)]
        out["corrections"] = [dict(x) for x in await correction_queries.request_corrections(uow.session, redress_id)]
        out["searches"] = [dict(x) for x in await search_queries.searches_of(uow.session, redress_id)]
        out["relinks"] = [dict(x) for x in await relink_queries.request_relinks(uow.session, redress_id)]
        out["owner_notices"] = [dict(x) for x in await notice_queries.request_notices(uow.session, redress_id)]
    out["missing_searches"] = domain.missing_searches(list(required), {s["system"] for s in out["searches"]})
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
    """Requests by due date, each saying whether it is overdue as of `today`."""
    async with uow:
        rows = await queries.list_requests(
            uow.session,
            status=status,
            overdue_on=today if overdue else None,
            limit=limit,
            offset=offset,
            encounters=encounters,
        )
    return [{**dict(r), "overdue": domain.is_overdue(r["status"], r["due_on"], today=today)} for r in rows]
