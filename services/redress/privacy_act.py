"""Privacy Act access and amendment requests (PIA 7.1, 7.2): received, the statute's clock, exemption review,
decision, response, appeal with its own clock, closure; and their queue, ordered by the clock that runs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from services.redress import privacy_act_rules as rules
from services.redress.db import privacy_act as queries
from shared.errors import NotFound
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class Clocks:
    """Working days per statutory clock, and the holidays they skip (from settings)."""

    access_days: int
    amendment_ack_days: int
    amendment_days: int
    appeal_days: int
    holidays: tuple[date, ...] = ()


async def _event(uow: UnitOfWork, request_id: uuid.UUID, action: str, detail: dict[str, Any]) -> None:
    await queries.add_event(uow.session, request_id, uow.actor, action, detail)


async def _open(uow: UnitOfWork, request_id: uuid.UUID) -> dict[str, Any]:
    row = await queries.get_request(uow.session, request_id, for_update=True)
    if row is None:
        raise NotFound(f"no Privacy Act request {request_id}")
    return dict(row)


async def receive(*, uow: UnitOfWork, data: dict[str, Any], clocks: Clocks, today: date) -> uuid.UUID:
    """A request enters the queue with its due date from the statute's clock."""
    kind, received = data["kind"], data["received_on"]
    rules.check_intake(kind, received_on=received, today=today, proposed_amendment=data.get("proposed_amendment"))
    days = clocks.access_days if kind == "access" else clocks.amendment_days
    due = rules.add_working_days(received, days, clocks.holidays)
    ack = rules.add_working_days(received, clocks.amendment_ack_days, clocks.holidays) if kind == "amendment" else None
    request_id = uuid.uuid4()
    async with uow:
        await queries.insert_request(
            uow.session,
            {
                "id": request_id,
                **data,
                "due_on": due,
                "acknowledge_by": ack,
                "status": rules.Status.RECEIVED,
                "created_by": uow.actor,
                "updated_by": uow.actor,
            },
        )
        await _event(uow, request_id, "received", {"due_on": due.isoformat()})
    return request_id


async def review_exemption(*, uow: UnitOfWork, request_id: uuid.UUID, exemption: str, basis: str) -> None:
    """Whether access or amendment is limited under 552a(j)(2) or (k)(2), and why; 'none' says it is not."""
    async with uow:
        row = await _open(uow, request_id)
        rules.check_exemption_review(row["status"], exemption, basis)
        await queries.update_request(
            uow.session,
            request_id,
            exemption=exemption,
            exemption_basis=basis,
            exemption_reviewed_by=uow.actor,
            exemption_reviewed_at=datetime.now(UTC),
            updated_by=uow.actor,
        )
        await _event(uow, request_id, "exemption-reviewed", {"exemption": exemption})


async def decide(*, uow: UnitOfWork, request_id: uuid.UUID, decision: str, reason: str) -> None:
    async with uow:
        row = await _open(uow, request_id)
        rules.check_decision(row["status"], decision, exemption=row["exemption"], reason=reason)
        await queries.update_request(
            uow.session,
            request_id,
            status=rules.Status.DECIDED,
            decision=decision,
            decision_reason=reason,
            decided_by=uow.actor,
            decided_at=datetime.now(UTC),
            updated_by=uow.actor,
        )
        await _event(uow, request_id, "decided", {"decision": decision})


async def respond(*, uow: UnitOfWork, request_id: uuid.UUID, channel: str, sent_on: date, note: str) -> None:
    """The answer sent to the requester; an adverse one tells them of their right to appeal."""
    async with uow:
        row = await _open(uow, request_id)
        rules.check_response(row["status"], channel, sent_on, received_on=row["received_on"])
        response = {
            "channel": channel,
            "sent_on": sent_on.isoformat(),
            "note": note,
            "appeal_rights_stated": row["decision"] in rules.ADVERSE,
            "recorded_by": uow.actor,
        }
        await queries.update_request(
            uow.session,
            request_id,
            status=rules.Status.RESPONDED,
            response=response,
            responded_on=sent_on,
            updated_by=uow.actor,
        )
        await _event(uow, request_id, "responded", {"channel": channel})


async def appeal(
    *, uow: UnitOfWork, request_id: uuid.UUID, appealed_on: date, reason: str, clocks: Clocks, today: date
) -> None:
    """An appeal of an adverse determination starts its own clock."""
    async with uow:
        row = await _open(uow, request_id)
        rules.check_appeal(row["status"], row["decision"], appealed_on, responded_on=row["responded_on"], today=today)
        due = rules.add_working_days(appealed_on, clocks.appeal_days, clocks.holidays)
        await queries.update_request(
            uow.session,
            request_id,
            status=rules.Status.APPEALED,
            appealed_on=appealed_on,
            appeal_due_on=due,
            appeal_reason=reason,
            updated_by=uow.actor,
        )
        await _event(uow, request_id, "appealed", {"appeal_due_on": due.isoformat()})


async def decide_appeal(*, uow: UnitOfWork, request_id: uuid.UUID, decision: str, reason: str) -> None:
    async with uow:
        row = await _open(uow, request_id)
        rules.check_appeal_decision(row["status"], decision, reason)
        await queries.update_request(
            uow.session,
            request_id,
            status=rules.Status.APPEAL_DECIDED,
            appeal_decision=decision,
            appeal_decision_reason=reason,
            appeal_decided_by=uow.actor,
            appeal_decided_at=datetime.now(UTC),
            updated_by=uow.actor,
        )
        await _event(uow, request_id, "appeal-decided", {"decision": decision})


async def close(*, uow: UnitOfWork, request_id: uuid.UUID) -> None:
    async with uow:
        row = await _open(uow, request_id)
        rules.check_close(row["status"])
        await queries.update_request(
            uow.session, request_id, status=rules.Status.CLOSED, closed_at=datetime.now(UTC), updated_by=uow.actor
        )
        await _event(uow, request_id, "closed", {})


def _with_clock(row: Any, today: date) -> dict[str, Any]:
    out = dict(row)
    out["clock_due_on"] = rules.running_clock(row["status"], row["due_on"], row["appeal_due_on"])
    out["clock"] = "appeal" if row["status"] == rules.Status.APPEALED else ("request" if out["clock_due_on"] else None)
    out["overdue"] = rules.is_overdue(row["status"], row["due_on"], row["appeal_due_on"], today=today)
    return out


async def detail(*, uow: UnitOfWork, request_id: uuid.UUID, today: date) -> dict[str, Any]:
    async with uow:
        row = await queries.get_request(uow.session, request_id)
        if row is None:
            raise NotFound(f"no Privacy Act request {request_id}")
        timeline = [dict(e) for e in await queries.events(uow.session, request_id)]
    return {**_with_clock(row, today), "timeline": timeline}


async def queue(
    *, uow: UnitOfWork, kind: str | None, status: str | None, overdue: bool, today: date, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The queue: the clock that ends first on top, each saying whether it is overdue as of `today`."""
    async with uow:
        rows = await queries.queue(
            uow.session, kind=kind, status=status, overdue_on=today if overdue else None, limit=limit, offset=offset
        )
    return [_with_clock(r, today) for r in rows]
