"""Disclosure use cases: draft a response under an agreement, send it sealed, account for it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.disclosure import agreement_rules, delivery, domain, gate, mail, note_check, review
from services.disclosure.db import disclosures as queries
from services.disclosure.db import review as review_db
from shared import policy
from shared.errors import Conflict, Invalid, NotFound, Unavailable
from shared.events.disclosure import DisclosureDrafted, DisclosureSent
from shared.internal import InternalClient
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


async def _case(uow: UnitOfWork, case_id: uuid.UUID) -> Any:
    """The case as disclosure's own (non-personal) read model knows it, if the caller may see its program."""
    case = await queries.case(uow.session, case_id)
    if case is None:
        raise NotFound(f"no case {case_id} known to disclosure")
    policy.require_visible(case["program"], f"no case {case_id} known to disclosure")
    return case


async def _view(cases: InternalClient, case_id: uuid.UUID, actor: str) -> dict[str, Any]:
    """The case's values, flags, findings and readiness as they are now in cases (disclosure keeps no copy).

    Cases unreachable is a 503 naming it: a draft is never built from nothing, nor from a stale copy."""
    response = await cases.get(f"/internal/v1/cases/{case_id}/disclosure", on_behalf_of=actor)
    if response.status_code == 404:
        raise NotFound(f"no case {case_id} known to disclosure")
    if response.status_code != 200:
        raise Unavailable(f"{cases.target} is unavailable; try again", service=cases.target)
    return dict(response.json())


async def case_summary(cases: InternalClient, case_id: uuid.UUID, actor: str) -> domain.CaseSummary:
    """The case as cases holds it now, as a rendering is prepared from (a response's, an owner's report's)."""
    return domain.summary_from_view(await _view(cases, case_id, actor))


async def _agreement(uow: UnitOfWork, agreement_id: uuid.UUID, version: int | None = None) -> domain.Agreement:
    """The version in force (approved by a privacy officer); a draft made under `version` needs it still in force."""
    in_force = await queries.agreement_in_force(uow.session, agreement_id)
    if in_force is None:
        raise NotFound(f"no agreement {agreement_id}")
    agreement_rules.require_governs(in_force, in_force["approved_version"] if version is None else version)
    row = await queries.agreement_version(uow.session, agreement_id, in_force["approved_version"])
    return domain.agreement_from_row(dict(row))


async def governing_agreement(uow: UnitOfWork, agreement_id: uuid.UUID, version: int | None = None) -> domain.Agreement:
    """The approved version that governs a release (and, given `version`, the one it was drafted under still)."""
    return await _agreement(uow, agreement_id, version)


async def active_recipient(uow: UnitOfWork, recipient_id: uuid.UUID) -> Any:
    """A recipient who may still receive disclosures (not retired)."""
    return await _recipient(uow, recipient_id)


async def _recipient(uow: UnitOfWork, recipient_id: uuid.UUID) -> Any:
    """A recipient who may still receive responses (not retired)."""
    row = await queries.recipient(uow.session, recipient_id)
    if row is None:
        raise NotFound(f"no recipient {recipient_id}")
    domain.require_active(row)
    return row


async def create_draft(
    *,
    uow: UnitOfWork,
    cases: InternalClient,
    case_id: uuid.UUID,
    recipient_id: uuid.UUID,
    purpose: str,
    note: str,
    today: dt.date,
    matched: bool = True,
    override_reason: str | None = None,
    may_override: bool = False,
    repeat_reason: str | None = None,
    heading: str | None = None,
) -> uuid.UUID:
    """Draft a response: exactly what will leave, and separately every withheld item with its rule.

    Only for a ready case (the program's searches and a finding recorded) unless a supervisor overrides with
    a reason; a case already disclosed to the partner needs a reason to disclose again. The values come from
    cases now, so a flag set a moment ago is always seen."""
    draft_id = uuid.uuid4()
    async with uow:
        await _case(uow, case_id)  # visibility first: cases is not asked about a case the caller may not see
    view = await _view(cases, case_id, uow.actor)
    summary = domain.summary_from_view(view)
    override = gate.readiness_override(
        gate.Readiness.from_view(view),
        reason=override_reason,
        may_override=may_override,
        actor=uow.actor,
        at=dt.datetime.now(dt.UTC),
    )
    async with uow:
        case = await _case(uow, case_id)
        recipient = await _recipient(uow, recipient_id)
        agreement = await _agreement(uow, recipient["agreement_id"])
        earlier = await review_db.earlier_disclosures(uow.session, case_id=case_id, agreement_id=agreement.agreement_id)
        repeat = gate.repeat_reason(earlier, repeat_reason)
        draft = domain.prepare(summary, agreement, purpose=purpose, on=today, matched=matched)
        reference = domain.case_reference(case)
        body = domain.render(draft, case_reference=reference, note=note, purpose=purpose, heading=heading)
        quotes = note_check.quoted(note, summary, draft)
        if quotes:
            raise Conflict(
                note_check.leak_message(quotes),
                withheld=sorted({item for item, _ in quotes}),
                words=sorted({w for _, w in quotes}),
            )
        await queries.insert_draft(
            uow.session,
            {
                "id": draft_id,
                "case_id": case_id,
                "agreement_id": agreement.agreement_id,
                "agreement_version": agreement.version,
                "recipient_id": recipient_id,
                "purpose": purpose,
                "note": note,
                "released": domain.released_json(draft),
                "withheld": [{"item": w.item, "rule": w.rule} for w in draft.withheld],
                "body": body,
                "status": gate.DRAFT if draft.sendable else gate.NOT_SENDABLE,
                "created_by": uow.actor,
                "matched": matched,
                "readiness_override": override,
                "repeat_reason": repeat,
                "approvals_required": gate.approvals_required(agreement_minimum=agreement.approvals_required),
            },
        )
        uow.emit(
            DisclosureDrafted(
                draft_id=draft_id, case_id=case_id, matched=matched, readiness_overridden=override is not None
            )
        )
    return draft_id


async def get_draft(*, uow: UnitOfWork, draft_id: uuid.UUID) -> dict[str, Any]:
    """A draft, if the caller may see its case."""
    async with uow:
        row = await _draft(uow, draft_id, lock=False)
        steps = await review.steps_of(uow, draft_id)
    return {**dict(row), "reviews": steps}


async def _draft(uow: UnitOfWork, draft_id: uuid.UUID, *, lock: bool) -> Any:
    """The draft, if the caller may see its case (an unseen one is not found)."""
    row = await queries.draft(uow.session, draft_id, lock=lock)
    if row is None:
        raise NotFound(f"no disclosure draft {draft_id}")
    await _require_case_visible(uow, row["case_id"], f"no disclosure draft {draft_id}")
    return row


async def _require_case_visible(uow: UnitOfWork, case_id: uuid.UUID, message: str) -> None:
    policy.require_visible(await queries.case_program(uow.session, case_id), message)


async def send(
    *,
    uow: UnitOfWork,
    cases: InternalClient,
    draft_id: uuid.UUID,
    office: mail.OfficeIdentity,
    smtp: tuple[str, int],
    now: dt.datetime,
    faults: frozenset[str] = frozenset(),
) -> None:
    """Re-check everything at send time, seal, account as pending, deliver, account as sent."""
    accounting_id, message, recipient_email = await _seal_and_account(
        uow=uow, cases=cases, draft_id=draft_id, office=office, now=now
    )
    await delivery.deliver(
        uow=uow,
        accounting_id=accounting_id,
        message=message,
        sender=office.email,
        recipient=recipient_email,
        smtp=smtp,
        faults=faults,
    )


async def _sendable_draft(uow: UnitOfWork, draft_id: uuid.UUID, *, lock: bool) -> Any:
    """The draft, if the caller may see its case and it is not sent or being sent already."""
    row = await _draft(uow, draft_id, lock=lock)
    domain.require_unsent(row["status"], row["sent_at"])
    return row


async def _seal_and_account(
    *, uow: UnitOfWork, cases: InternalClient, draft_id: uuid.UUID, office: mail.OfficeIdentity, now: dt.datetime
) -> tuple[uuid.UUID, bytes, str]:
    """One transaction: the send-time checks (agreement in force, same content, certificate), the sealed
    message, and its accounting as `pending` with the draft `sending`; committed before anything leaves.

    The case is fetched from cases again first (no row lock held across the call): if anything a response
    is built from changed since the draft, the send is refused."""
    async with uow:
        first = await _sendable_draft(uow, draft_id, lock=False)
    summary = await case_summary(cases, first["case_id"], uow.actor)
    async with uow:
        row = await _sendable_draft(uow, draft_id, lock=True)
        if row["case_id"] != summary.case_id:
            raise Conflict("the draft changed while it was being sent; try again")
        case = await _case(uow, row["case_id"])
        agreement = await _agreement(uow, row["agreement_id"], row["agreement_version"])
        # Another draft of the case may have left for this partner since this one was drafted.
        earlier = await review_db.earlier_disclosures(
            uow.session, case_id=row["case_id"], agreement_id=agreement.agreement_id, other_than=draft_id
        )
        gate.repeat_reason(earlier, row["repeat_reason"])
        draft = domain.prepare(summary, agreement, purpose=row["purpose"], on=now.date(), matched=row["matched"])
        domain.require_sendable(draft, drafted=row["released"])
        approvers = await review.approvals(uow, draft_id)
        gate.require_approved(row["status"], len(approvers), row["approvals_required"])
        recipient = await _recipient(uow, row["recipient_id"])  # it may have been retired since the draft
        sealed = mail.seal_to(
            body=row["body"],
            subject=f"DHS/OBIM response: {domain.case_reference(case)}",
            office=office,
            recipient_email=recipient["email"],
            certificate_pem=recipient["certificate_pem"],
            now=now,
        )
        owners = domain.shared_by_owner(summary, draft)
        accounting_id = uuid.uuid4()
        event = DisclosureSent(
            accounting_id=accounting_id,
            case_id=row["case_id"],
            program=case["program"],
            partner_country=case["partner_country"],
            matched=draft.matched,
            sent_at=now,
            case_opened_at=case["opened_at"],
            shared_by_owner={o: len(ids) for o, ids in owners.items()},
            draft_id=draft_id,
        )
        await queries.mark_sending(uow.session, draft_id, at=now, actor=uow.actor)
        await queries.insert_accounting(
            uow.session,
            {
                "id": accounting_id,
                "draft_id": draft_id,
                "case_id": row["case_id"],
                "subject_id": case["subject_id"],
                "sent_at": now,
                "nature": "case findings by S/MIME email",
                "purpose": row["purpose"],
                "recipient_id": recipient["id"],
                "recipient_agency": agreement.partner_agency,
                "recipient_person": recipient["person"],
                "recipient_email": recipient["email"],
                "analyst": uow.actor,
                "agreement_id": agreement.agreement_id,
                "agreement_version": agreement.version,
                "matched": draft.matched,
                "digest": domain.digest(row["body"]),
                "encounter_ids": list(draft.released),
                "fields": domain.disclosed_fields(draft),
                "state": "pending",
                "repeat_reason": row["repeat_reason"],
                "approved_by": approvers,
                "message_id": sealed.message_id,
                "message_digest": sealed.digest,
                "message": sealed.message,
                # What to record and announce once the message has left (each owner told of its own only).
                "on_sent": {"owners": owners, "event": event.model_dump(mode="json")},
            },
        )
    log.info("disclosure accounted as pending", draft_id=str(draft_id), agreement_version=agreement.version)
    return accounting_id, sealed.message, recipient["email"]


async def accounting(
    *,
    uow: UnitOfWork,
    subject: uuid.UUID | None,
    recipient: uuid.UUID | None,
    start: dt.date | None,
    end: dt.date | None,
) -> list[dict[str, Any]]:
    """Every disclosure about one person, or to one recipient over a period; a pending one (it may have left)
    is listed with its state, a failed attempt (the relay refused it, nothing left) is not a disclosure."""
    if subject is None and recipient is None:
        raise Invalid("ask by subject, or by recipient (with from/to)")
    async with uow:
        return await queries.accounted(uow.session, subject=subject, recipient=recipient, start=start, end=end)


async def annual_audit(*, uow: UnitOfWork, year: int) -> dict[str, Any]:
    """Check every disclosure of a year against the agreement version it was made under (PIA 6.5)."""
    async with uow:
        rows = await queries.disclosures_of_year(uow.session, year)
        owners = await queries.encounter_owners(uow.session)
    findings = []
    for row in rows:
        problems = domain.audit_problems(
            sent_on=row["sent_at"].date(),
            fields=row["fields"],
            purpose=row["purpose"],
            owners=[owners.get(e) for e in row["encounter_ids"]],
            recipient_matches=row["recipient_agreement"] == row["agreement_id"],
            allowed_fields=row["allowed_fields"],
            purposes=row["purposes"],
            valid_from=row["valid_from"],
            valid_to=row["valid_to"],
            data_owners=row["data_owners"],
        )
        findings += [
            {
                "accounting_id": row["id"],
                "sent_at": row["sent_at"],
                "agreement_id": row["agreement_id"],
                "agreement_version": row["agreement_version"],
                "problem": p,
            }
            for p in problems
        ]
    # A pending disclosure is checked like a sent one (it may have left) and named until it is resolved.
    pending = [
        {"accounting_id": row["id"], "sent_at": row["sent_at"], "message_id": row["message_id"]}
        for row in rows
        if row["state"] == "pending"
    ]
    return {"year": year, "disclosures_checked": len(rows), "inconsistencies": findings, "pending": pending}
