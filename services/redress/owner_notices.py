"""Notices to system owners: a discrepancy found in another system's records is told to its owner (PIA 3.0),
with the owner's reply and decision, and who made it. Redress records them; the notice left DHS, so it is
announced (`OwnerNoticeSent`, ids and facts only) in the same transaction and disclosure accounts it for each
subject of the records it names (sending through disclosure's referrals is disclosure's path, not a second one
here)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

from services.redress import domain
from services.redress.db import owner_notices as queries
from services.redress.db import records as record_queries
from services.redress.records import imported_record
from services.redress.requests import add_to_timeline, open_request
from shared.errors import Conflict, Invalid, NotFound
from shared.events.redress import NoticedRecord, OwnerNoticeSent
from shared.internal import InternalClient
from shared.uow import UnitOfWork


async def _noticed_records(cases: InternalClient, encounter_ids: list[uuid.UUID], actor: str) -> list[NoticedRecord]:
    """Each named record with its subject as cases knows it now: the accounting is kept per person."""
    found = await asyncio.gather(*(imported_record(cases, e, actor) for e in dict.fromkeys(encounter_ids)))
    return [NoticedRecord(encounter_id=r["encounter_id"], subject_id=r["subject_id"]) for r in found]


async def record_notice(
    *,
    uow: UnitOfWork,
    cases: InternalClient,
    redress_id: uuid.UUID,
    data_owner: str,
    discrepancy: str,
    encounter_ids: list[uuid.UUID],
    channel: str,
    sent_on: date,
    today: date,
) -> uuid.UUID:
    """The owner was told of the discrepancy: who, what, when, how, by whom; announced for the accounting."""
    domain.check_notice(data_owner, discrepancy, channel)
    if sent_on > today:
        raise Invalid("the notice's sent date is in the future")
    notice_id = uuid.uuid4()
    async with uow:
        await _check_notice(uow, redress_id, encounter_ids, sent_on)
    records = await _noticed_records(cases, encounter_ids, uow.actor)  # no transaction held across the call
    async with uow:
        await _check_notice(uow, redress_id, encounter_ids, sent_on)
        await queries.insert_notice(
            uow.session,
            {
                "id": notice_id,
                "redress_id": redress_id,
                "data_owner": data_owner.strip(),
                "discrepancy": discrepancy,
                "encounter_ids": encounter_ids,
                "channel": channel,
                "sent_on": sent_on,
                "sent_by": uow.actor,
            },
        )
        await add_to_timeline(
            uow, redress_id, "owner-notified", {"notice_id": str(notice_id), "data_owner": data_owner.strip()}
        )
        uow.emit(
            OwnerNoticeSent(
                notice_id=notice_id,
                redress_id=redress_id,
                data_owner=data_owner.strip(),
                channel=channel,
                sent_on=sent_on,
                sent_by=uow.actor,
                records=records,
            )
        )
    return notice_id


async def _check_notice(uow: UnitOfWork, redress_id: uuid.UUID, encounter_ids: list[uuid.UUID], sent_on: date) -> None:
    """The request is open, received before the notice left, and every record named is linked to it."""
    row = await open_request(uow, redress_id)
    if sent_on < row["received_on"]:
        raise Invalid("the notice cannot be sent before the request was received")
    linked = {r["encounter_id"] for r in await record_queries.request_links(uow.session, redress_id)}
    if unlinked := [str(e) for e in encounter_ids if e not in linked]:
        raise Conflict(f"link the record to this request before naming it in a notice: {', '.join(unlinked)}")


async def _notice(uow: UnitOfWork, redress_id: uuid.UUID, notice_id: uuid.UUID) -> dict:
    await open_request(uow, redress_id)
    row = await queries.get_notice(uow.session, redress_id, notice_id)
    if row is None:
        raise NotFound(f"no owner notice {notice_id} on this request")
    return dict(row)


async def record_reply(
    *, uow: UnitOfWork, redress_id: uuid.UUID, notice_id: uuid.UUID, reply: str, replied_on: date, today: date
) -> None:
    """What the owner answered, and when."""
    async with uow:
        notice = await _notice(uow, redress_id, notice_id)
        domain.check_reply(notice, reply)
        if replied_on < notice["sent_on"] or replied_on > today:
            raise Invalid("the reply date falls between the notice and today")
        await queries.update_notice(
            uow.session, notice_id, reply=reply, replied_on=replied_on, reply_recorded_by=uow.actor
        )
        await add_to_timeline(uow, redress_id, "owner-replied", {"notice_id": str(notice_id)})


async def record_decision(
    *, uow: UnitOfWork, redress_id: uuid.UUID, notice_id: uuid.UUID, decision: str, decided_by: str
) -> None:
    """The owner's decision on the discrepancy (remove, keep or correct the record), with who made it."""
    async with uow:
        notice = await _notice(uow, redress_id, notice_id)
        domain.check_owner_decision(notice, decision, decided_by)
        if notice["reply"] is None:
            raise Conflict("record the owner's reply before its decision")
        await queries.update_notice(
            uow.session,
            notice_id,
            decision=decision,
            decided_by=decided_by.strip(),
            decision_recorded_by=uow.actor,
            decided_at=datetime.now(UTC),
        )
        await add_to_timeline(
            uow,
            redress_id,
            "owner-decided",
            {"notice_id": str(notice_id), "decision": decision, "decided_by": decided_by.strip()},
        )
