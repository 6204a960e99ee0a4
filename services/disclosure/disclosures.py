"""Disclosure use cases: draft a response under an agreement, send it sealed, account for it."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from sqlalchemy import select

from services.disclosure import db, delivery, domain, mail
from shared import policy
from shared.errors import Conflict, Invalid, NotFound, Unavailable
from shared.events.disclosure import DisclosureSent
from shared.internal import InternalClient
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


async def _case(uow: UnitOfWork, case_id: uuid.UUID) -> Any:
    """The case as disclosure's own (non-personal) read model knows it, if the caller may see its program."""
    case = (await uow.session.execute(select(db.case_view).where(db.case_view.c.case_id == case_id))).mappings().first()
    if case is None:
        raise NotFound(f"no case {case_id} known to disclosure")
    policy.require_visible(case["program"], f"no case {case_id} known to disclosure")
    return case


async def _summary(cases: InternalClient, case_id: uuid.UUID, actor: str) -> domain.CaseSummary:
    """The case's values, flags and findings as they are now in cases (disclosure keeps no copy of them).

    Cases unreachable is a 503 naming it: a draft is never built from nothing, nor from a stale copy."""
    response = await cases.get(f"/internal/v1/cases/{case_id}/disclosure", on_behalf_of=actor)
    if response.status_code == 404:
        raise NotFound(f"no case {case_id} known to disclosure")
    if response.status_code != 200:
        raise Unavailable(f"{cases.target} is unavailable; try again", service=cases.target)
    return domain.summary_from_view(response.json())


async def _agreement(uow: UnitOfWork, agreement_id: uuid.UUID, version: int | None = None) -> domain.Agreement:
    v = db.agreement_versions
    stmt = select(v).where(v.c.agreement_id == agreement_id)
    stmt = stmt.where(v.c.version == version) if version else stmt.order_by(v.c.version.desc()).limit(1)
    row = (await uow.session.execute(stmt)).mappings().first()
    if row is None:
        raise NotFound(f"no agreement {agreement_id}")
    return domain.agreement_from_row(dict(row))


async def _recipient(uow: UnitOfWork, recipient_id: uuid.UUID) -> Any:
    row = (
        (await uow.session.execute(select(db.recipients).where(db.recipients.c.id == recipient_id))).mappings().first()
    )
    if row is None:
        raise NotFound(f"no recipient {recipient_id}")
    return row


def _not_retired(recipient: Any) -> None:
    if recipient["retired_at"] is not None:
        when = recipient["retired_at"].date().isoformat()
        raise Conflict(
            f"recipient {recipient['id']} was retired on {when} by {recipient['retired_by']}: choose another "
            "recipient of the agreement"
        )


def _released_json(draft: domain.Draft) -> dict[str, Any]:
    return {
        "encounters": {str(k): v for k, v in draft.released.items()},
        "findings": [{"id": str(f.finding_id), "kind": f.kind, "text": f.text} for f in draft.findings],
        "caveats": draft.caveats,
    }


async def create_draft(
    *,
    uow: UnitOfWork,
    cases: InternalClient,
    case_id: uuid.UUID,
    recipient_id: uuid.UUID,
    purpose: str,
    note: str,
    today: dt.date,
) -> uuid.UUID:
    """Draft a response: exactly what will leave, and separately every withheld item with its rule.

    The values come from cases now, so a flag set a moment ago is always seen."""
    draft_id = uuid.uuid4()
    async with uow:
        await _case(uow, case_id)  # visibility first: cases is not asked about a case the caller may not see
    summary = await _summary(cases, case_id, uow.actor)
    async with uow:
        case = await _case(uow, case_id)
        recipient = await _recipient(uow, recipient_id)
        _not_retired(recipient)
        agreement = await _agreement(uow, recipient["agreement_id"])
        draft = domain.prepare(summary, agreement, purpose=purpose, on=today)
        body = domain.render(draft, case_reference=_reference(case), note=note)
        leaked = domain.leaks(note, summary, draft)
        if leaked:
            raise Conflict("the covering note quotes withheld information", withheld=leaked)
        await uow.session.execute(
            db.drafts.insert().values(
                id=draft_id,
                case_id=case_id,
                agreement_id=agreement.agreement_id,
                agreement_version=agreement.version,
                recipient_id=recipient_id,
                purpose=purpose,
                note=note,
                released=_released_json(draft),
                withheld=[{"item": w.item, "rule": w.rule} for w in draft.withheld],
                body=body,
                status="draft" if draft.sendable else "not-sendable",
                created_by=uow.actor,
            )
        )
    return draft_id


def _reference(case: Any) -> str:
    return f"{case['program']} transaction {case['partner_transaction_number'] or case['case_id']}"


async def get_draft(*, uow: UnitOfWork, draft_id: uuid.UUID) -> dict[str, Any]:
    async with uow:
        row = (await uow.session.execute(select(db.drafts).where(db.drafts.c.id == draft_id))).mappings().first()
        if row is None:
            raise NotFound(f"no disclosure draft {draft_id}")
        await _require_case_visible(uow, row["case_id"], f"no disclosure draft {draft_id}")
    return dict(row)


async def _require_case_visible(uow: UnitOfWork, case_id: uuid.UUID, message: str) -> None:
    program = await uow.session.scalar(select(db.case_view.c.program).where(db.case_view.c.case_id == case_id))
    policy.require_visible(program, message)


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
    stmt = select(db.drafts).where(db.drafts.c.id == draft_id)
    row = (await uow.session.execute(stmt.with_for_update() if lock else stmt)).mappings().first()
    if row is None:
        raise NotFound(f"no disclosure draft {draft_id}")
    await _require_case_visible(uow, row["case_id"], f"no disclosure draft {draft_id}")
    if row["status"] == "sent":
        raise Conflict(f"this draft was already sent at {row['sent_at']:%Y-%m-%d %H:%M} UTC")
    if row["status"] == "sending":
        raise Conflict("this draft is being sent; its accounting is pending until the relay takes it")
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
    summary = await _summary(cases, first["case_id"], uow.actor)
    async with uow:
        row = await _sendable_draft(uow, draft_id, lock=True)
        if row["case_id"] != summary.case_id:
            raise Conflict("the draft changed while it was being sent; try again")
        case = await _case(uow, row["case_id"])
        agreement = await _agreement(uow, row["agreement_id"], row["agreement_version"])
        draft = domain.prepare(summary, agreement, purpose=row["purpose"], on=now.date())
        if not draft.sendable:
            rules = sorted({w.rule for w in draft.withheld}) or ["agreement not in force"]
            raise Conflict(f"cannot send: {', '.join(rules)}")
        if _released_json(draft) != row["released"]:
            raise Conflict("the case changed since this draft was made; draft it again")
        recipient = await _recipient(uow, row["recipient_id"])
        _not_retired(recipient)  # retired after the draft was made
        cert = mail.check_recipient_certificate(recipient["certificate_pem"], now=now)
        agency = (
            await uow.session.execute(
                select(db.agreement_versions.c.partner_agency).where(
                    db.agreement_versions.c.agreement_id == agreement.agreement_id,
                    db.agreement_versions.c.version == agreement.version,
                )
            )
        ).scalar_one()
        message_id = mail.new_message_id()
        message = mail.seal(
            body=row["body"],
            subject=f"DHS/OBIM response: {_reference(case)}",
            office=office,
            recipient_email=recipient["email"],
            recipient_cert=cert,
            message_id=message_id,
        )
        # Each data owner whose encounters were shared is told about its own encounters only (once sent).
        owners: dict[str, list[str]] = {}
        for e in summary.encounters:
            if e.encounter_id in draft.released:
                owners.setdefault(e.data_owner or "UNKNOWN", []).append(str(e.encounter_id))
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
        )
        await uow.session.execute(
            db.drafts.update()
            .where(db.drafts.c.id == draft_id)
            .values(status="sending", updated_at=now, updated_by=uow.actor)
        )
        await uow.session.execute(
            db.accounting.insert().values(
                id=accounting_id,
                draft_id=draft_id,
                case_id=row["case_id"],
                subject_id=case["subject_id"],
                sent_at=now,
                nature="case findings by S/MIME email",
                purpose=row["purpose"],
                recipient_id=recipient["id"],
                recipient_agency=agency,
                recipient_person=recipient["person"],
                recipient_email=recipient["email"],
                analyst=uow.actor,
                agreement_id=agreement.agreement_id,
                agreement_version=agreement.version,
                matched=draft.matched,
                digest=domain.digest(row["body"]),
                encounter_ids=list(draft.released),
                fields=sorted({f for v in draft.released.values() for f in v}),
                state="pending",
                message_id=message_id,
                message_digest=hashlib.sha256(message).hexdigest(),
                message=message,
                on_sent={"owners": owners, "event": event.model_dump(mode="json")},
            )
        )
    log.info("disclosure accounted as pending", draft_id=str(draft_id), agreement_version=agreement.version)
    return accounting_id, message, recipient["email"]


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
    a = db.accounting
    stmt = select(a).where(a.c.state.in_(db.ACCOUNTED)).order_by(a.c.sent_at, a.c.id)
    if subject is not None:
        stmt = stmt.where(a.c.subject_id == subject)
    if recipient is not None:
        stmt = stmt.where(a.c.recipient_id == recipient)
    if start is not None:
        stmt = stmt.where(a.c.sent_at >= dt.datetime.combine(start, dt.time(0), dt.UTC))
    if end is not None:
        stmt = stmt.where(a.c.sent_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), dt.UTC))
    if (visible := db.visible_cases()) is not None:
        stmt = stmt.where(a.c.case_id.in_(visible))
    async with uow:
        return [dict(r) for r in (await uow.session.execute(stmt)).mappings().all()]


async def annual_audit(*, uow: UnitOfWork, year: int) -> dict[str, Any]:
    """Check every disclosure of a year against the agreement version it was made under (PIA 6.5)."""
    a, v, r = db.accounting, db.agreement_versions, db.recipients
    start = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    stmt = (
        select(
            a,
            v.c.fields.label("allowed_fields"),
            v.c.purposes,
            v.c.valid_from,
            v.c.valid_to,
            v.c.data_owners,
            r.c.agreement_id.label("recipient_agreement"),
        )
        .join(v, (v.c.agreement_id == a.c.agreement_id) & (v.c.version == a.c.agreement_version))
        .join(r, r.c.id == a.c.recipient_id)
        .where(a.c.sent_at >= start, a.c.sent_at < start.replace(year=year + 1), a.c.state.in_(db.ACCOUNTED))
        .order_by(a.c.sent_at)
    )
    async with uow:
        rows = (await uow.session.execute(stmt)).mappings().all()
        owners = {
            x.encounter_id: x.data_owner
            for x in (
                await uow.session.execute(
                    select(db.encounter_projection.c.encounter_id, db.encounter_projection.c.data_owner)
                )
            ).all()
        }
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
