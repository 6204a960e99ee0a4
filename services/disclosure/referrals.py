"""Referral use cases: referrals and notices to the owners of the data, sent and accounted, and their replies.

A referral's message is a draft prepared under the recipient's agreement, exactly as a partner response is
(`disclosures.create_draft`), and it leaves through the same send: pending accounting row, SMTP, sent
(`disclosures.send`, `delivery.py`). Whatever gate a draft must pass before it is sent, a referral passes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.disclosure import disclosures, domain, mail
from services.disclosure import referral_rules as rules
from services.disclosure.db import referrals as queries
from services.disclosure.db.disclosures import case as case_row
from shared import policy
from shared.errors import Conflict, NotFound
from shared.events.cases import AttachedRow
from shared.events.disclosure import EncounterRemovalRequested, ReferralReplied
from shared.internal import InternalClient
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)
TSC_NOTICE = "tsc-notice"


def watchlist_notices(rows: list[AttachedRow], *, program: str, upload_kind: str) -> list[dict[str, Any]]:
    """One TSC notice due per case whose partner query matched TSC's records or a KST record, whatever is later
    shared (PIA 6.1): TSC may answer that the subject is no longer in its database."""
    by_case: dict[uuid.UUID, list[uuid.UUID]] = {}
    for row in rows:
        watchlist = row.data_owner == domain.TSC or program == "KST" or row.kst  # row.kst: any program's KST status
        if upload_kind == "partner-query" and row.matched and watchlist:
            by_case.setdefault(row.case_id, []).append(row.encounter_id)
    return [
        {
            "id": uuid.uuid5(case_id, TSC_NOTICE),
            "kind": TSC_NOTICE,
            "case_id": case_id,
            "encounter_ids": ids,
            "recipient_org": domain.TSC,
            "reason": f"{program} partner query matched a watchlist record",
            "reply_within_days": rules.KINDS[TSC_NOTICE].reply_within_days,
            "created_by": "system",
        }
        for case_id, ids in by_case.items()
    ]


def flagged_notice(case_id: uuid.UUID, encounter_id: uuid.UUID) -> dict[str, Any]:
    """The TSC notice a KST fast-matcher flag set by hand makes due on its case (the same notice as an import's)."""
    return {
        "id": uuid.uuid5(case_id, TSC_NOTICE),
        "kind": TSC_NOTICE,
        "case_id": case_id,
        "encounter_ids": [encounter_id],
        "recipient_org": domain.TSC,
        "reason": "a fast-matcher flag naming a KST was set on an encounter",
        "reply_within_days": rules.KINDS[TSC_NOTICE].reply_within_days,
        "created_by": "system",
    }


def _organisation(recipient: Any) -> str:
    """The recipient organisation as the queue names it: the data owner it speaks for, else the agency."""
    owners = list(recipient["data_owners"])
    return owners[0] if len(owners) == 1 else recipient["partner_agency"]


async def _visible_case(uow: UnitOfWork, case_id: uuid.UUID) -> Any:
    case = await case_row(uow.session, case_id)
    if case is None:
        raise NotFound(f"no case {case_id} known to disclosure")
    policy.require_visible(case["program"], f"no case {case_id} known to disclosure")
    return case


async def _recipient(uow: UnitOfWork, kind: str, recipient_id: uuid.UUID) -> Any:
    recipient = await queries.recipient_terms(uow.session, recipient_id)
    if recipient is None:
        raise NotFound(f"no recipient {recipient_id}")
    rules.check_recipient(kind, recipient["recipient_kind"], recipient["partner_agency"])
    domain.require_active(recipient)
    return recipient


async def _referral(uow: UnitOfWork, referral_id: uuid.UUID) -> Any:
    row = await queries.referral(uow.session, referral_id)
    if row is None:
        raise NotFound(f"no referral {referral_id}")
    policy.require_visible(row["program"], f"no referral {referral_id}")
    return row


async def _released(uow: UnitOfWork, draft_id: uuid.UUID) -> list[uuid.UUID]:
    draft = await disclosures.get_draft(uow=uow, draft_id=draft_id)
    return [uuid.UUID(i) for i in draft["released"]["encounters"]]


async def refer(
    *,
    uow: UnitOfWork,
    cases: InternalClient,
    case_id: uuid.UUID,
    kind: str,
    recipient_id: uuid.UUID,
    reason: str,
    note: str,
    reply_within_days: int | None,
    today: dt.date,
) -> uuid.UUID:
    """A referral made by an analyst: checked first, then drafted (the filtered rendering), then recorded."""
    spec = rules.kind(kind)
    async with uow:
        await _visible_case(uow, case_id)
        recipient = await _recipient(uow, kind, recipient_id)
    draft_id = await disclosures.create_draft(
        uow=uow, cases=cases, case_id=case_id, recipient_id=recipient_id, purpose=spec.purpose, note=note, today=today
    )
    referral_id = uuid.uuid4()
    encounter_ids = await _released(uow, draft_id)
    async with uow:
        await queries.insert_referral(
            uow.session,
            {
                "id": referral_id,
                "kind": kind,
                "case_id": case_id,
                "encounter_ids": encounter_ids,
                "recipient_org": _organisation(recipient),
                "recipient_id": recipient_id,
                "draft_id": draft_id,
                "reason": reason,
                "reply_within_days": spec.reply_within_days if reply_within_days is None else reply_within_days,
                "created_by": uow.actor,
            },
        )
    log.info("referral drafted", referral_id=str(referral_id), kind=kind)
    return referral_id


async def draft_due(
    *,
    uow: UnitOfWork,
    cases: InternalClient,
    referral_id: uuid.UUID,
    recipient_id: uuid.UUID,
    note: str,
    today: dt.date,
) -> None:
    """Draft a notice a match made due (a TSC notice): the message for the chosen recipient of the kind."""
    async with uow:
        row = await _referral(uow, referral_id)
        if row["draft_id"] is not None:
            raise Conflict(f"referral {referral_id} is drafted already (draft {row['draft_id']})")
        await _recipient(uow, row["kind"], recipient_id)
    draft_id = await disclosures.create_draft(
        uow=uow,
        cases=cases,
        case_id=row["case_id"],
        recipient_id=recipient_id,
        purpose=rules.kind(row["kind"]).purpose,
        note=note,
        today=today,
    )
    # From here the notice is about what the recipient receives (TSC: its own records), and a "remove" acts on it.
    encounter_ids = await _released(uow, draft_id)
    async with uow:
        if not await queries.set_draft(
            uow.session, referral_id, draft_id=draft_id, recipient_id=recipient_id, encounter_ids=encounter_ids
        ):
            raise Conflict(f"referral {referral_id} was drafted by someone else meanwhile")


async def send(
    *,
    uow: UnitOfWork,
    cases: InternalClient,
    referral_id: uuid.UUID,
    office: mail.OfficeIdentity,
    smtp: tuple[str, int],
    now: dt.datetime,
    faults: frozenset[str] = frozenset(),
) -> None:
    """Send the referral's draft through the one send path (checks, pending accounting, SMTP, sent)."""
    async with uow:
        row = await _referral(uow, referral_id)
    if row["draft_id"] is None:
        raise Conflict(f"referral {referral_id} has no message yet: draft it for a recipient first")
    await disclosures.send(
        uow=uow, cases=cases, draft_id=row["draft_id"], office=office, smtp=smtp, now=now, faults=faults
    )


async def record_reply(
    *, uow: UnitOfWork, referral_id: uuid.UUID, decision: str, note: str, replied_on: dt.date, today: dt.date
) -> None:
    """The owner's reply, once: its decision, the day it came and who recorded it; "remove" acts."""
    async with uow:
        await queries.lock(uow.session, referral_id)
        row = await _referral(uow, referral_id)
        if row["reply_decision"] is not None:
            raise Conflict(
                f"the reply to referral {referral_id} was recorded by {row['reply_recorded_by']}: "
                f"{row['reply_decision']} on {row['replied_on'].isoformat()}"
            )
        rules.check_reply(row["kind"], decision, sent_at=row["sent_at"], replied_on=replied_on, today=today)
        await queries.record_reply(
            uow.session,
            referral_id,
            reply_decision=decision,
            reply_note=note,
            replied_on=replied_on,
            reply_recorded_by=uow.actor,
        )
        uow.emit(
            ReferralReplied(
                referral_id=referral_id,
                case_id=row["case_id"],
                kind=row["kind"],
                decision=decision,
                recipient_org=row["recipient_org"],
                referred_by=row["created_by"],
            )
        )
        if decision == rules.REMOVE:
            uow.emit(
                EncounterRemovalRequested(
                    referral_id=referral_id,
                    case_id=row["case_id"],
                    encounter_ids=list(row["encounter_ids"]),
                    requested_by=row["recipient_org"],
                    reason=note or f"{row['recipient_org']} asked that the encounter be removed",
                )
            )
    log.info("referral reply recorded", referral_id=str(referral_id), decision=decision)


def _view(row: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    sent_at = row["sent_at"]
    return {
        **row,
        "status": rules.status(drafted=row["draft_id"] is not None, sent_at=sent_at, decision=row["reply_decision"]),
        "recipient_kinds": sorted(rules.kind(row["kind"]).recipients),
        "reply_due_at": rules.due_at(sent_at, row["reply_within_days"]),
        "overdue": rules.overdue(
            sent_at=sent_at, reply_within_days=row["reply_within_days"], decision=row["reply_decision"], now=now
        ),
    }


async def get_referral(*, uow: UnitOfWork, referral_id: uuid.UUID, now: dt.datetime) -> dict[str, Any]:
    async with uow:
        return _view(dict(await _referral(uow, referral_id)), now)


async def list_referrals(
    *,
    uow: UnitOfWork,
    case_id: uuid.UUID | None,
    recipient_org: str | None,
    awaiting: bool,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """A case's referrals, or the queue of replies awaited (overdue first, then by due time)."""
    async with uow:
        rows = await queries.listed(uow.session, case_id=case_id, recipient_org=recipient_org, awaiting=awaiting)
    views = [_view(r, now) for r in rows]
    if awaiting:
        views.sort(key=lambda v: (not v["overdue"], v["reply_due_at"]))
    return views
