"""A disclosure's accounting around the mail relay: pending before the hand-off, sent or failed after.

The accounting row is committed as `pending`, with the sealed message, before the relay sees it; only then
is the message handed over, and a second transaction makes the row `sent`. A crash in between leaves a
pending row, which `resolve_pending` delivers again at start: the very same bytes and Message-ID, so the
recipient can tell a duplicate, and a message never leaves without its accounting.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable
from typing import Any

from services.disclosure import mail
from services.disclosure.db import delivery as queries
from shared.errors import Unavailable
from shared.events.disclosure import DisclosureSent
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)

# Fault injection for the crash test: where `deliver` exits as if killed (TRACS_DISCLOSURE_FAULT_CRASH_*).
BEFORE_DELIVER, AFTER_DELIVER = "before-deliver", "after-deliver"


def _crash_if(point: str, faults: frozenset[str], accounting_id: uuid.UUID) -> None:
    if point in faults:
        log.warning("fault injection: disclosure exits", point=point, accounting_id=str(accounting_id))
        os._exit(137)


async def deliver(
    *,
    uow: UnitOfWork,
    accounting_id: uuid.UUID,
    message: bytes,
    sender: str,
    recipient: str,
    smtp: tuple[str, int],
    faults: frozenset[str] = frozenset(),
) -> None:
    """Hand a pending disclosure to the relay, then account it sent; a refusal accounts it failed."""
    _crash_if(BEFORE_DELIVER, faults, accounting_id)
    try:
        await mail.deliver(message, sender=sender, recipient=recipient, host=smtp[0], port=smtp[1])
    except mail.DeliveryUncertain:
        # It may have left: it stays pending (listed as such) and is delivered again at the next start.
        log.warning("disclosure delivery uncertain; left pending", accounting_id=str(accounting_id))
        raise
    except Unavailable as exc:
        await mark_failed(uow=uow, accounting_id=accounting_id, reason=exc.message)
        raise
    _crash_if(AFTER_DELIVER, faults, accounting_id)
    await mark_sent(uow=uow, accounting_id=accounting_id, delivered_at=dt.datetime.now(dt.UTC))


def _owner_notices(row: Any) -> list[dict[str, Any]]:
    """Each data owner whose encounters were shared is told about its own encounters only."""
    on_sent = row["on_sent"]
    return [
        {
            "id": uuid.uuid4(),
            "data_owner": owner,
            "case_id": row["case_id"],
            "encounter_ids": [uuid.UUID(i) for i in ids],
            "shared": True,
            "partner_country": on_sent["event"].get("partner_country"),
            "accounting_id": row["id"],
        }
        for owner, ids in sorted(on_sent["owners"].items())
    ]


async def mark_sent(*, uow: UnitOfWork, accounting_id: uuid.UUID, delivered_at: dt.datetime) -> bool:
    """Pending -> sent, with the owner notifications and DisclosureSent in the same transaction (once only)."""
    async with uow:
        row = await queries.lock_pending(uow.session, accounting_id)
        if row is None:
            return False  # resolved already (by another replica's start, say)
        await queries.record_sent(uow.session, row, delivered_at=delivered_at)
        await queries.notify_owners(uow.session, _owner_notices(row))
        uow.emit(DisclosureSent.model_validate(row["on_sent"]["event"]))
    log.info("disclosure sent", accounting_id=str(accounting_id), message_id=row["message_id"])
    return True


async def mark_failed(*, uow: UnitOfWork, accounting_id: uuid.UUID, reason: str) -> None:
    """The relay refused the message: the attempt is kept as failed and the draft can be sent again."""
    async with uow:
        row = await queries.lock_pending(uow.session, accounting_id)
        if row is None:
            return
        await queries.record_failed(uow.session, row, reason=reason)
    log.warning("disclosure not delivered", accounting_id=str(accounting_id), reason=reason)


async def resolve_pending(*, uow_factory: Callable[..., UnitOfWork], sender: str, smtp: tuple[str, int]) -> int:
    """Deliver every pending disclosure again (same bytes, same Message-ID) and account it; the number left.

    A pending row may have left already, so a refusal now does not make it failed: it stays pending.
    """
    async with uow_factory() as uow:
        pending = await queries.pending(uow.session)
    left = 0
    for p in pending:
        log.warning("re-delivering a pending disclosure", accounting_id=str(p.id), message_id=p.message_id)
        try:
            await mail.deliver(p.message, sender=sender, recipient=p.recipient_email, host=smtp[0], port=smtp[1])
        except Unavailable as exc:
            log.warning("pending disclosure still undelivered", accounting_id=str(p.id), reason=exc.message)
            left += 1
            continue
        uow = uow_factory(actor=p.analyst, correlation_id=f"resolve-pending-{p.id}")
        await mark_sent(uow=uow, accounting_id=p.id, delivered_at=dt.datetime.now(dt.UTC))
    return left
