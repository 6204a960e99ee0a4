"""Disclosure's projection of case data, kept from cases' events: ids, programs, owners and flags, never values.

One handler per event type; the runtime calls them in topic order inside the batch's unit of work.
"""

from __future__ import annotations

import uuid
from typing import Any

from services.disclosure import domain, referrals
from services.disclosure.db import inaccuracies as inaccuracy_db
from services.disclosure.db import projection as queries
from shared import policy
from shared.events.cases import (
    EncounterCorrected,
    EncountersAttached,
    EncountersRelinked,
    FlagSet,
    RecordsPurged,
    names_kst,
)
from shared.inbox import Delivered
from shared.uow import UnitOfWork


async def attached(uow: UnitOfWork, delivered: list[Delivered[EncountersAttached]]) -> None:
    """Attached encounters -> their projection, the cases they opened, their members and protected-class flags,
    and FBI-TSC's notice of a partner query matching its records."""
    rows = [(d, row) for d in delivered for row in d.event.rows]
    tsc = [domain.tsc_notice(row, upload_kind=d.event.upload_kind) for d, row in rows]
    opened = [
        {
            "case_id": row.case_id,
            "subject_id": row.subject_id,
            "program": d.event.program,
            "partner_country": row.partner_country,
            "partner_transaction_number": row.partner_transaction_number,
            "matched": row.matched,
            "opened_at": d.envelope.occurred_at,
        }
        for d, row in rows
        if row.case_opened
    ]
    flags = [
        {"encounter_id": row.encounter_id, "flag": "protected-class", "value": {"class": row.protected_class}}
        for _, row in rows
        if row.protected_class
    ]
    async with uow:
        await queries.project(uow.session, [domain.projection_row(row, d.event.program) for d, row in rows])
        await queries.notify_owners(uow.session, [n for n in tsc if n is not None])
        for d in delivered:  # TSC's notice is due for every watchlist match, shared or not (issue 28)
            due = referrals.watchlist_notices(d.event.rows, program=d.event.program, upload_kind=d.event.upload_kind)
            await queries.add_due_notices(uow.session, due)
        await queries.open_cases(uow.session, opened)
        await queries.add_members(
            uow.session, [{"case_id": r.case_id, "encounter_id": r.encounter_id} for _, r in rows]
        )
        await queries.set_flags(uow.session, _last_per_key(flags))


async def flag_set(uow: UnitOfWork, delivered: list[Delivered[FlagSet]]) -> None:
    """A flag set in cases (not-sharable, derogatory, ...) -> the flag as disclosure knows it."""
    flags = [{"encounter_id": d.event.encounter_id, "flag": d.event.flag, "value": d.event.value} for d in delivered]
    # A KST fast-matcher flag set later (by an analyst) makes TSC's notice due, as the same cell on import does.
    kst = [
        d.event.encounter_id
        for d in delivered
        if d.event.flag == "fast-matcher"
        and d.event.value.get("set", True) is not False
        and names_kst(d.event.value.get("status"))
    ]
    async with uow:
        await queries.set_flags(uow.session, _last_per_key(flags))
        for encounter_id in kst:
            cases = await queries.cases_of_encounter(uow.session, encounter_id)
            await queries.add_due_notices(uow.session, [referrals.flagged_notice(c, encounter_id) for c in cases])


def _last_per_key(flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Within one batch the latest setting of a flag wins (one statement cannot touch a row twice)."""
    return list({(f["encounter_id"], f["flag"]): f for f in flags}.values())


async def corrected(uow: UnitOfWork, delivered: list[Delivered[EncounterCorrected]]) -> None:
    """Every past disclosure that carried the corrected field of an encounter becomes a notice to send."""
    async with uow:
        for d in delivered:
            c = d.event
            found = await queries.disclosures_with(uow.session, encounter_id=c.encounter_id, field=c.field)
            notices = [
                {
                    "correction_id": c.correction_id,
                    "accounting_id": r.id,
                    "redress_id": c.redress_id,
                    "report_id": c.report_id,
                    "encounter_id": c.encounter_id,
                    "field": c.field,
                    "recipient_email": r.recipient_email,
                    "recipient_agency": r.recipient_agency,
                    "disclosed_at": r.sent_at,
                }
                for r in found
            ]
            await queries.list_notices(uow.session, notices)
            if c.report_id is not None:  # the inaccuracy report it resolves may now be answered
                await inaccuracy_db.correction_applied(uow.session, c.report_id, at=d.envelope.occurred_at)


async def relinked(uow: UnitOfWork, delivered: list[Delivered[EncountersRelinked]]) -> None:
    """A re-link moves the encounters in the read model (subject, case) and lists every past recipient of each
    moved encounter for a correction notice: what they received was about the wrong person (field `subject`)."""
    async with uow:
        for d in delivered:
            r = d.event
            await queries.open_cases(
                uow.session,
                [
                    {
                        "case_id": c.case_id,
                        "subject_id": r.to_subject_id,
                        "program": c.program,
                        "partner_country": c.partner_country,
                        "partner_transaction_number": c.partner_transaction_number,
                        "matched": True,
                        "opened_at": d.envelope.occurred_at,
                    }
                    for c in r.opened_cases
                ],
            )
            for move in r.moved:
                await queries.move_encounter(
                    uow.session,
                    encounter_id=move.encounter_id,
                    to_subject_id=r.to_subject_id,
                    from_case_ids=list(move.from_case_ids),
                    to_case_id=move.to_case_id,
                )
                notices = [
                    {
                        # one notice per re-link, encounter and disclosure: the key names the re-link and encounter
                        "correction_id": uuid.uuid5(r.relink_id, str(move.encounter_id)),
                        "accounting_id": row.id,
                        "redress_id": r.redress_id,
                        "encounter_id": move.encounter_id,
                        "field": "subject",
                        "recipient_email": row.recipient_email,
                        "recipient_agency": row.recipient_agency,
                        "disclosed_at": row.sent_at,
                    }
                    for row in await queries.disclosures_of(uow.session, move.encounter_id)
                ]
                await queries.list_notices(uow.session, notices)


async def purged(uow: UnitOfWork, delivered: list[Delivered[RecordsPurged]]) -> None:
    """Retention purged these in cases: the copies go too. The accounting of disclosures stays (its own record,
    kept for the life of the record or five years, Privacy Act 552a(c)(2))."""
    case_ids = [i for d in delivered for i in d.event.case_ids]
    encounter_ids = [i for d in delivered for i in d.event.encounter_ids]
    async with uow:
        await queries.forget(uow.session, case_ids=case_ids, encounter_ids=encounter_ids)


async def subject_encounters(*, uow: UnitOfWork, subject_id: uuid.UUID) -> list[dict[str, Any]]:
    """A subject's encounters as the read model knows them, in the caller's programs only."""
    async with uow:
        rows = await queries.subject_encounters(uow.session, subject_id)
    return [r for r in rows if policy.is_visible(r["program"])]
