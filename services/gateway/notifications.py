"""Notifications: what a member of staff is told, in the console and (if they asked) by mail.

Made from events the other services already publish (a case assigned, a draft awaiting review, an owner's reply
to a referral, a redress request near its SLA), so nobody's work waits on the gateway. A notification holds ids
and a short label, never a subject's personal data; the link opens the record, where the API decides again what
the reader may see.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from services.gateway.db import notifications as queries
from shared import audit
from shared.errors import NotFound
from shared.events.cases import CaseAssigned
from shared.events.disclosure import DisclosureReviewRequested, ReferralReplied
from shared.events.redress import RedressSlaNearing
from shared.inbox import Delivered
from shared.logging import current_correlation_id, get_logger
from shared.smtp import deliver
from shared.uow import UnitOfWork

log = get_logger(__name__)

KINDS = ("case-assigned", "review-requested", "redress-sla", "referral-replied")


@dataclass(frozen=True)
class Notice:
    """One notification for one user: what happened to which record, in a few words, and where to look."""

    username: str
    kind: str
    record_type: str
    record_id: str
    label: str
    link: str


def _short(value: uuid.UUID) -> str:
    return str(value)[:8]


def case_assigned(event: CaseAssigned, actor: str) -> list[Notice]:
    """The assignee hears of a case given to them by someone else (taking a case oneself tells nobody)."""
    if event.assignee == actor:
        return []
    by = "" if actor in ("system", "") else f" by {actor}"
    return [
        Notice(
            event.assignee,
            "case-assigned",
            "case",
            str(event.case_id),
            f"Case {_short(event.case_id)} was assigned to you{by}",
            f"/cases/{event.case_id}",
        )
    ]


def review_requested(event: DisclosureReviewRequested, drafter: str, supervisors: list[str]) -> list[Notice]:
    """Every supervisor of the case's program but the drafter (who may never approve their own draft)."""
    return [
        Notice(
            s,
            "review-requested",
            "disclosure",
            str(event.draft_id),
            f"{drafter} asks you to review draft {_short(event.draft_id)} of case {_short(event.case_id)}",
            f"/disclosures/{event.draft_id}",
        )
        for s in supervisors
        if s != drafter
    ]


def referral_replied(event: ReferralReplied, recorded_by: str) -> list[Notice]:
    """The analyst who made the referral hears of the reply (unless they recorded it themselves)."""
    if event.referred_by == recorded_by:
        return []
    return [
        Notice(
            event.referred_by,
            "referral-replied",
            "referral",
            str(event.referral_id),
            f'{event.recipient_org} replied "{event.decision}" to your {event.kind} {_short(event.referral_id)}',
            f"/referrals/{event.referral_id}",
        )
    ]


def redress_sla(event: RedressSlaNearing) -> list[Notice]:
    """Each reviewer of a redress request due soon (or, with none yet, whoever opened it)."""
    label = f"Redress request {_short(event.redress_id)} is due on {event.due_on.isoformat()}"
    return [
        Notice(who, "redress-sla", "redress", str(event.redress_id), label, f"/redress/{event.redress_id}")
        for who in sorted(set(event.reviewers or [event.opened_by]))
    ]


async def _store(uow: UnitOfWork, notices: list[Notice]) -> None:
    """Add the notices of active users, due for mail where the user asked for it; audited as one entry each."""
    users = await queries.recipients(uow.session, sorted({n.username for n in notices}))
    rows = [
        {
            "id": uuid.uuid4(),
            **n.__dict__,
            "mail_state": "due" if users[n.username]["notify_by_mail"] and users[n.username]["email"] else "none",
        }
        for n in notices
        if n.username in users
    ]
    if await queries.add(uow.session, rows):
        await queries.record(
            uow.session,
            [
                audit.Entry(
                    actor="system",
                    action="notification:create",
                    record_type=r["record_type"],
                    record_id=r["record_id"],
                    outcome="allowed",
                    correlation_id=current_correlation_id(),
                    detail=f"{r['kind']} for {r['username']}",
                )
                for r in rows
            ],
        )


async def on_case_assigned(uow: UnitOfWork, batch: list[Delivered[CaseAssigned]]) -> None:
    async with uow:
        await _store(uow, [n for d in batch for n in case_assigned(d.event, d.envelope.actor)])


async def on_review_requested(uow: UnitOfWork, batch: list[Delivered[DisclosureReviewRequested]]) -> None:
    async with uow:
        notices = []
        for d in batch:
            supervisors = await queries.reviewers(uow.session, d.event.program)
            notices += review_requested(d.event, d.envelope.actor, supervisors)
        await _store(uow, notices)


async def on_referral_replied(uow: UnitOfWork, batch: list[Delivered[ReferralReplied]]) -> None:
    async with uow:
        await _store(uow, [n for d in batch for n in referral_replied(d.event, d.envelope.actor)])


async def on_redress_sla(uow: UnitOfWork, batch: list[Delivered[RedressSlaNearing]]) -> None:
    async with uow:
        await _store(uow, [n for d in batch for n in redress_sla(d.event)])


async def listing(*, uow: UnitOfWork, username: str, unread: bool, limit: int, offset: int) -> dict[str, Any]:
    """A user's own notifications, newest first, and how many are unread."""
    async with uow:
        items = await queries.listed(uow.session, username, unread=unread, limit=limit, offset=offset)
        count = await queries.unread_count(uow.session, username)
        user = await queries.recipients(uow.session, [username])
    preference = (
        {"notify_by_mail": user[username]["notify_by_mail"], "email": user[username]["email"]} if user else None
    )
    return {"items": [dict(i) for i in items], "unread": count, "preference": preference}


async def unread(*, uow: UnitOfWork, username: str) -> int:
    async with uow:
        return await queries.unread_count(uow.session, username)


async def mark_read(*, uow: UnitOfWork, username: str, ids: list[uuid.UUID] | None) -> int:
    async with uow:
        return await queries.mark_read(uow.session, username, ids, dt.datetime.now(dt.UTC))


async def set_preference(*, uow: UnitOfWork, username: str, notify_by_mail: bool) -> dict[str, Any]:
    """In-app only, or also by mail (to the address an admin recorded); the choice is audited."""
    async with uow:
        row = await queries.set_preference(uow.session, username, notify_by_mail)
        if row is None:
            raise NotFound(f"no local login {username!r}: mail preferences are kept for the gateway's own logins")
        await queries.record(
            uow.session,
            [
                audit.Entry(
                    actor=username,
                    action="notification:preference",
                    record_type="user",
                    record_id=username,
                    outcome="allowed",
                    correlation_id=current_correlation_id(),
                    detail="in-app and mail" if notify_by_mail else "in-app only",
                )
            ],
        )
    return {"notify_by_mail": row["notify_by_mail"], "email": row["email"]}


def message(*, sender: str, to: str, label: str, link: str) -> bytes:
    """A plain mail: the label and a link, nothing a mailbox should not hold (no names, no case values)."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, f"TRACS: {label}"[:200]
    msg.set_content(f"{label}.\n\nOpen it in TRACS: {link}\n\nChange how you are notified on the notifications page.\n")
    return bytes(msg)


async def mail_due(*, uow: UnitOfWork, smtp: tuple[str, int], sender: str, console_url: str, limit: int = 100) -> int:
    """Send the notifications due for mail through the relay disclosure uses; a refused one is marked failed and
    stays in the console (mail is a courtesy copy, never the only way a notice arrives)."""
    sent = 0
    async with uow:
        due = await queries.mail_due(uow.session, limit)
        ok, failed = [], []
        for row in due:
            link = console_url.rstrip("/") + row["link"]
            body = message(sender=sender, to=row["email"], label=row["label"], link=link)
            try:
                await deliver(body, sender=sender, recipient=row["email"], host=smtp[0], port=smtp[1])
                ok.append(row["id"])
            except Exception as exc:
                log.warning("notification mail failed", error=type(exc).__name__)
                failed.append(row["id"])
            await asyncio.sleep(0)
        now = dt.datetime.now(dt.UTC)
        await queries.set_mail_state(uow.session, ok, "sent", now)
        await queries.set_mail_state(uow.session, failed, "failed", now)
        sent = len(ok)
    return sent
