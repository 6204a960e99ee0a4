"""Owners' reports sent as disclosures: drafted for a period from the accounting, approved by a second person,
sealed, accounted per subject as pending, handed to the relay, accounted as sent (PIA 3.1, issue 28).

The report is one message about many people, so it does not fit a draft (one case); it keeps the draft's rules
(`gate`: the two-person approval, exactly the approved body leaves) and the send's order (pending accounting before
the relay; a crash in between is delivered again, at start and by the background loop (`pending`), the same bytes
and Message-ID). Each itemised encounter is named by its identifiers as cases holds them (fetched through the route
a draft's rendering uses, when drafted and again when sent: what leaves is what was approved and is still true).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from services.disclosure import disclosures, domain, gate, mail
from services.disclosure import owner_report_rules as rules
from services.disclosure.db import owner_reports as items_db
from services.disclosure.db import report_sends as queries
from services.disclosure.db.tables import OWNER_REPORT
from shared import policy
from shared.errors import Conflict, Forbidden, NotFound, Unavailable
from shared.internal import InternalClient
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


def _sees_every_program() -> bool:
    scope = policy.visible_programs()
    return scope is None or policy.CASE_PROGRAMS <= scope


def _require_every_program() -> None:
    """A report covers every program's responses: drafting it needs them all in view."""
    if not _sees_every_program():
        raise Forbidden("an owner's report covers every program: it needs membership of all of them")


async def _items(uow: UnitOfWork, owner: str, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    return rules.frozen_items(await items_db.shared_of_owner(uow.session, owner=owner, start=start, end=end))


async def _identifiers(
    cases: InternalClient, items: list[dict[str, Any]], agreement: domain.Agreement, actor: str
) -> dict[str, dict[str, str]]:
    """Every itemised encounter's identifiers the owner's agreement releases, as cases holds them now: one call per
    case (the route a draft's rendering uses); a case cases no longer holds (purged, deleted at its owner's notice)
    names none. Cases unreachable is a 503 naming it, as for a draft."""
    found: dict[str, dict[str, str]] = {}
    for case_id in sorted({i["case_id"] for i in items}):
        try:
            summary = await disclosures.case_summary(cases, uuid.UUID(case_id), actor)
        except NotFound:
            continue
        found |= rules.identifiers(summary, agreement)
    return found


async def draft(
    *,
    uow: UnitOfWork,
    cases: InternalClient,
    recipient_id: uuid.UUID,
    start: dt.date,
    end: dt.date,
    today: dt.date,
) -> uuid.UUID:
    """Freeze the period's items, with each encounter's identifiers from cases, for the owner of the recipient's
    agreement and render what will leave."""
    rules.check_period(start, end, today=today)
    _require_every_program()
    report_id = uuid.uuid4()
    async with uow:
        recipient = await disclosures.active_recipient(uow, recipient_id)
        agreement = await disclosures.governing_agreement(uow, recipient["agreement_id"])
        owner = rules.owner_of(agreement.recipient_kind, sorted(agreement.data_owners), agreement.partner_agency)
        if rules.PURPOSE not in agreement.purposes:
            raise Conflict(f"{agreement.partner_agency}'s agreement does not name the purpose {rules.PURPOSE}")
        if not agreement.in_force(today):
            raise Conflict(f"{agreement.partner_agency}'s agreement is not in force")
        items = await _items(uow, owner, start, end)
        rules.require_items(items, owner)
    # No transaction is held across the calls to cases.
    items = rules.with_identifiers(items, await _identifiers(cases, items, agreement, uow.actor))
    body = rules.render(
        owner=owner, agency=agreement.partner_agency, start=start, end=end, items=items, limits=agreement.use_limits
    )
    async with uow:
        await queries.insert(
            uow.session,
            {
                "id": report_id,
                "owner": owner,
                "recipient_id": recipient_id,
                "agreement_id": agreement.agreement_id,
                "agreement_version": agreement.version,
                "period_from": start,
                "period_to": end,
                "items": items,
                "body": body,
                "status": gate.DRAFT,
                "approvals_required": gate.approvals_required(agreement_minimum=agreement.approvals_required),
                "created_by": uow.actor,
            },
        )
    log.info("owner report drafted", report_id=str(report_id), items=len(items))
    return report_id


async def _report(uow: UnitOfWork, report_id: uuid.UUID, *, lock: bool = False) -> Any:
    """A report is hidden, like another program's case, from whoever cannot see every program it covers."""
    row = await queries.report(uow.session, report_id, lock=lock) if _sees_every_program() else None
    if row is None:
        raise NotFound(f"no owner report {report_id}")
    return row


def _approvers(steps: list[dict[str, Any]]) -> list[str]:
    """Who approved since the report was last sent back."""
    approvers: list[str] = []
    for s in steps:
        if s["step"] == "sent-back":
            approvers = []
        elif s["step"] == "approved":
            approvers.append(s["actor"])
    return approvers


async def request_review(*, uow: UnitOfWork, report_id: uuid.UUID) -> None:
    async with uow:
        row = await _report(uow, report_id, lock=True)
        gate.require_status(row["status"], (gate.DRAFT,), "sent for review")
        digest = domain.digest(row["body"])
        await queries.add_step(
            uow.session, report_id=report_id, step="review-requested", actor=uow.actor, body_digest=digest
        )
        await queries.update_report(uow.session, report_id, status=gate.IN_REVIEW)


async def approve(*, uow: UnitOfWork, report_id: uuid.UUID, may_approve: bool) -> None:
    """A supervisor other than the drafter approves exactly the stored body."""
    async with uow:
        row = await _report(uow, report_id, lock=True)
        gate.require_status(row["status"], (gate.IN_REVIEW,), "approved")
        earlier = _approvers(await queries.steps(uow.session, report_id))
        gate.require_reviewer(
            drafter=row["created_by"], reviewer=uow.actor, earlier_approvers=earlier, may_approve=may_approve
        )
        digest = domain.digest(row["body"])
        await queries.add_step(uow.session, report_id=report_id, step="approved", actor=uow.actor, body_digest=digest)
        if len(earlier) + 1 >= row["approvals_required"]:
            await queries.update_report(uow.session, report_id, status=gate.APPROVED)


async def send_back(*, uow: UnitOfWork, report_id: uuid.UUID, comment: str, may_approve: bool) -> None:
    comment = gate.require_comment(comment)
    async with uow:
        row = await _report(uow, report_id, lock=True)
        gate.require_status(row["status"], (gate.IN_REVIEW, gate.APPROVED), "sent back")
        gate.require_reviewer(
            drafter=row["created_by"], reviewer=uow.actor, earlier_approvers=(), may_approve=may_approve
        )
        digest = domain.digest(row["body"])
        await queries.add_step(
            uow.session, report_id=report_id, step="sent-back", actor=uow.actor, body_digest=digest, comment=comment
        )
        await queries.update_report(uow.session, report_id, status=gate.DRAFT)


async def send(
    *,
    uow: UnitOfWork,
    cases: InternalClient,
    report_id: uuid.UUID,
    office: mail.OfficeIdentity,
    smtp: tuple[str, int],
    now: dt.datetime,
) -> None:
    """Re-check (approved, agreement in force, the period's accounting and the encounters' identifiers unchanged),
    seal, account each subject as pending, deliver, account as sent; a relay refusal accounts the attempt failed
    and the report may go again."""
    async with uow:
        drafted = await _report(uow, report_id)
        domain.require_unsent(drafted["status"], drafted["sent_at"])
        agreement = await disclosures.governing_agreement(uow, drafted["agreement_id"], drafted["agreement_version"])
    found = await _identifiers(cases, drafted["items"], agreement, uow.actor)  # no row lock across the calls
    async with uow:
        row = await _report(uow, report_id, lock=True)
        domain.require_unsent(row["status"], row["sent_at"])
        approvers = _approvers(await queries.steps(uow.session, report_id))
        gate.require_approved(row["status"], len(approvers), row["approvals_required"])
        agreement = await disclosures.governing_agreement(uow, row["agreement_id"], row["agreement_version"])
        if not agreement.in_force(now.date()):
            raise Conflict(f"{agreement.partner_agency}'s agreement is not in force")
        recipient = await disclosures.active_recipient(uow, row["recipient_id"])
        now_items = await _items(uow, row["owner"], row["period_from"], row["period_to"])
        rules.require_unchanged(row["items"], rules.with_identifiers(now_items, found))
        fields = rules.identifier_fields(row["items"])
        sealed = mail.seal_to(
            body=row["body"],
            subject=f"DHS/OBIM report: {row['owner']} encounters shared, {row['period_from']} to {row['period_to']}",
            office=office,
            recipient_email=recipient["email"],
            certificate_pem=recipient["certificate_pem"],
            now=now,
        )
        accounting_rows = [
            {
                "id": uuid.uuid4(),
                "kind": OWNER_REPORT,
                "report_id": report_id,
                "case_id": case_id,
                "subject_id": subject_id,
                "sent_at": now,
                "nature": "report of its encounters subsequently shared, by S/MIME email",
                "purpose": rules.PURPOSE,
                "recipient_id": recipient["id"],
                "recipient_agency": agreement.partner_agency,
                "recipient_person": recipient["person"],
                "recipient_email": recipient["email"],
                "analyst": uow.actor,
                "agreement_id": agreement.agreement_id,
                "agreement_version": agreement.version,
                "matched": True,
                "digest": domain.digest(row["body"]),
                "encounter_ids": encounter_ids,
                # The identifiers it named (no other value): a correction of one of them reaches this recipient.
                "fields": fields.get(subject_id, []),
                "state": "pending",
                "approved_by": approvers,
                "message_id": sealed.message_id,
                "message_digest": sealed.digest,
            }
            for subject_id, (case_id, encounter_ids) in rules.per_subject(row["items"]).items()
        ]
        await queries.account(uow.session, accounting_rows)
        await queries.update_report(
            uow.session,
            report_id,
            status=gate.SENDING,
            sent_by=uow.actor,
            message_id=sealed.message_id,
            message=sealed.message,
            failure=None,
        )
    try:
        await mail.deliver(
            sealed.message, sender=office.email, recipient=recipient["email"], host=smtp[0], port=smtp[1]
        )
    except mail.DeliveryUncertain:
        log.warning("owner report delivery uncertain; left pending", report_id=str(report_id))
        raise
    except Unavailable as exc:
        async with uow:
            await queries.settle(uow.session, report_id, state="failed", at=now, failure=exc.message)
            await queries.update_report(uow.session, report_id, status=gate.APPROVED, message=None, failure=exc.message)
        raise
    await _mark_sent(uow, report_id, at=dt.datetime.now(dt.UTC))


async def _mark_sent(uow: UnitOfWork, report_id: uuid.UUID, *, at: dt.datetime) -> None:
    async with uow:
        row = await _report(uow, report_id, lock=True)
        if row["status"] != gate.SENDING:
            return  # resolved already (another replica's start, say)
        await queries.settle(uow.session, report_id, state="sent", at=at, failure=None)
        await queries.update_report(uow.session, report_id, status=gate.SENT, sent_at=at, message=None)
    log.info("owner report sent", report_id=str(report_id))


async def resolve_pending(*, uow_factory: Callable[..., UnitOfWork], sender: str, smtp: tuple[str, int]) -> int:
    """Every report a crash (or an uncertain relay) left being sent goes again, the same bytes and Message-ID; the
    number the relay could not take (still being sent: it may have left). At start and in the background loop."""
    async with uow_factory() as uow:
        left_sending = await queries.sending(uow.session)
        emails = {r.id: await queries.recipient_email_of(uow.session, r.id) for r in left_sending}
    left = 0
    for r in left_sending:
        log.warning("re-delivering an owner report being sent", report_id=str(r.id))
        try:
            await mail.deliver(r.message, sender=sender, recipient=str(emails[r.id]), host=smtp[0], port=smtp[1])
        except Unavailable as exc:
            log.warning("owner report still undelivered", report_id=str(r.id), reason=exc.message)
            left += 1
            continue
        await _mark_sent(
            uow_factory(actor=r.sent_by, correlation_id=f"resolve-report-{r.id}"), r.id, at=dt.datetime.now(dt.UTC)
        )
    return left


async def get(*, uow: UnitOfWork, report_id: uuid.UUID) -> dict[str, Any]:
    async with uow:
        row = await _report(uow, report_id)
        steps = await queries.steps(uow.session, report_id)
    return {**dict(row), "reviews": steps}


async def listed(*, uow: UnitOfWork, owner: str | None) -> list[dict[str, Any]]:
    if not _sees_every_program():
        return []
    async with uow:
        return await queries.listed(uow.session, owner)
