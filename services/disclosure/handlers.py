"""Disclosure's projections of case data, kept from events: ids, programs, owners and flags, never values."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select, update

from services.disclosure import db, domain
from shared import policy
from shared.events.cases import (
    EncounterCorrected,
    EncountersAttached,
    EncountersRelinked,
    FlagSet,
    RecordsPurged,
)
from shared.inbox import Delivered
from shared.uow import UnitOfWork


async def project_cases(uow: UnitOfWork, delivered: list[Delivered]) -> None:
    """Cases' events -> cases, their encounters and flags (ids, programs, owners: no imported values), and the
    recipients to tell of a correction."""
    attached, members, opened, flags = [], [], [], []
    corrections: list[EncounterCorrected] = []
    relinked: list[tuple[EncountersRelinked, Any]] = []
    purged_cases: list[uuid.UUID] = []
    purged_encounters: list[uuid.UUID] = []
    for d in delivered:
        e = d.event
        if isinstance(e, EncountersAttached):
            for row in e.rows:
                attached.append(domain.projection_row(row, e.program))
                members.append({"case_id": row.case_id, "encounter_id": row.encounter_id})
                if row.protected_class:
                    flags.append(
                        {
                            "encounter_id": row.encounter_id,
                            "flag": "protected-class",
                            "value": {"class": row.protected_class},
                        }
                    )
                if row.case_opened:
                    opened.append(
                        {
                            "case_id": row.case_id,
                            "subject_id": row.subject_id,
                            "program": e.program,
                            "partner_country": row.partner_country,
                            "partner_transaction_number": row.partner_transaction_number,
                            "matched": row.matched,
                            "opened_at": d.envelope.occurred_at,
                        }
                    )
        elif isinstance(e, FlagSet):
            flags.append({"encounter_id": e.encounter_id, "flag": e.flag, "value": e.value})
        elif isinstance(e, EncounterCorrected):
            corrections.append(e)
        elif isinstance(e, EncountersRelinked):
            relinked.append((e, d.envelope.occurred_at))
        elif isinstance(e, RecordsPurged):
            purged_cases += e.case_ids
            purged_encounters += e.encounter_ids
    async with uow:
        await db.project(uow.session, attached)
        await db.upsert(uow.session, db.owner_notifications, _tsc_matches(delivered), ["id"])
        await db.upsert(uow.session, db.case_view, opened, ["case_id"])
        await db.upsert(uow.session, db.case_members, members, ["case_id", "encounter_id"])
        await db.upsert(uow.session, db.encounter_flags, _last_per_key(flags), ["encounter_id", "flag"], ["value"])
        for c in corrections:
            await _list_recipients_to_tell(uow, c)
        for r, at in relinked:
            await _move_relinked(uow, r, at)
        # Retention purged these in cases: the copies go too. The accounting of disclosures stays (its own
        # record, kept for the life of the record or five years, Privacy Act 552a(c)(2)).
        await db.forget(uow.session, case_ids=purged_cases, encounter_ids=purged_encounters)


TSC = "FBI-TSC"


def _tsc_matches(delivered: list[Delivered]) -> list[dict[str, Any]]:
    """A partner query matching an FBI-TSC record is reported to TSC, shared or not (PIA 6.1)."""
    return [
        {
            "id": uuid.uuid5(row.encounter_id, "tsc-match"),
            "data_owner": TSC,
            "case_id": row.case_id,
            "encounter_ids": [row.encounter_id],
            "shared": False,
            "partner_country": row.partner_country,
        }
        for d in delivered
        if isinstance(d.event, EncountersAttached) and d.event.upload_kind == "partner-query"
        for row in d.event.rows
        if row.data_owner == TSC
    ]


def _last_per_key(flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Within one batch the latest setting of a flag wins (one statement cannot touch a row twice)."""
    return list({(f["encounter_id"], f["flag"]): f for f in flags}.values())


async def subject_encounters(*, uow: UnitOfWork, subject_id: uuid.UUID) -> list[dict[str, Any]]:
    async with uow:
        rows = await db.subject_encounters(uow.session, subject_id)
    return [r for r in rows if policy.is_visible(r["program"])]


async def _list_recipients_to_tell(uow: UnitOfWork, c: EncounterCorrected) -> None:
    """Every past disclosure that carried the corrected field of this encounter becomes a notice to send."""
    a = db.accounting
    # A pending disclosure may have left, so its recipient is told too; a failed attempt never left.
    stmt = select(a).where(a.c.encounter_ids.any(c.encounter_id), a.c.fields.any(c.field), a.c.state.in_(db.ACCOUNTED))
    rows = [
        {
            "correction_id": c.correction_id,
            "accounting_id": r.id,
            "redress_id": c.redress_id,
            "encounter_id": c.encounter_id,
            "field": c.field,
            "recipient_email": r.recipient_email,
            "recipient_agency": r.recipient_agency,
            "disclosed_at": r.sent_at,
        }
        for r in (await uow.session.execute(stmt)).all()
    ]
    await db.upsert(uow.session, db.correction_notices, rows, ["correction_id", "accounting_id"])


async def _move_relinked(uow: UnitOfWork, r: EncountersRelinked, at: Any) -> None:
    """A re-link moves the encounters in the read model (subject, case) and lists every past recipient of each
    moved encounter for a correction notice: what they received was about the wrong person (field `subject`)."""
    await db.upsert(
        uow.session,
        db.case_view,
        [
            {
                "case_id": c.case_id,
                "subject_id": r.to_subject_id,
                "program": c.program,
                "partner_country": c.partner_country,
                "partner_transaction_number": c.partner_transaction_number,
                "matched": True,
                "opened_at": at,
            }
            for c in r.opened_cases
        ],
        ["case_id"],
    )
    a, p, m = db.accounting, db.encounter_projection, db.case_members
    for move in r.moved:
        await uow.session.execute(
            update(p).where(p.c.encounter_id == move.encounter_id).values(subject_id=r.to_subject_id)
        )
        if move.from_case_ids:
            await uow.session.execute(
                delete(m).where(m.c.encounter_id == move.encounter_id, m.c.case_id.in_(move.from_case_ids))
            )
        await db.upsert(
            uow.session,
            m,
            [{"case_id": move.to_case_id, "encounter_id": move.encounter_id}],
            ["case_id", "encounter_id"],
        )
        stmt = select(a).where(a.c.encounter_ids.any(move.encounter_id), a.c.state.in_(db.ACCOUNTED))
        notices = [
            {
                # one notice per re-link, encounter and disclosure: the key names the re-link and the encounter
                "correction_id": uuid.uuid5(r.relink_id, str(move.encounter_id)),
                "accounting_id": row.id,
                "redress_id": r.redress_id,
                "encounter_id": move.encounter_id,
                "field": "subject",
                "recipient_email": row.recipient_email,
                "recipient_agency": row.recipient_agency,
                "disclosed_at": row.sent_at,
            }
            for row in (await uow.session.execute(stmt)).all()
        ]
        await db.upsert(uow.session, db.correction_notices, notices, ["correction_id", "accounting_id"])


async def correction_notices(
    *, uow: UnitOfWork, encounter_id: uuid.UUID | None, redress_id: uuid.UUID | None
) -> list[dict[str, Any]]:
    from shared.errors import Invalid

    if encounter_id is None and redress_id is None:
        raise Invalid("ask by encounter or by redress request")
    n = db.correction_notices
    stmt = select(n).order_by(n.c.disclosed_at, n.c.accounting_id)
    if encounter_id is not None:
        stmt = stmt.where(n.c.encounter_id == encounter_id)
    if redress_id is not None:
        stmt = stmt.where(n.c.redress_id == redress_id)
    if (visible := db.visible_cases()) is not None:
        a = db.accounting
        stmt = stmt.where(n.c.accounting_id.in_(select(a.c.id).where(a.c.case_id.in_(visible))))
    async with uow:
        return [dict(r) for r in (await uow.session.execute(stmt)).mappings().all()]


async def notifications(*, uow: UnitOfWork, owner: str) -> list[dict[str, Any]]:
    """What one data owner is told: only its own encounters."""
    n = db.owner_notifications
    async with uow:
        stmt = select(n).where(n.c.data_owner == owner).order_by(n.c.created_at, n.c.id)
        if (visible := db.visible_cases()) is not None:
            stmt = stmt.where(n.c.case_id.in_(visible))
        return [dict(r) for r in (await uow.session.execute(stmt)).mappings().all()]
