"""Inaccuracy report use cases: a recipient says something it received may be wrong; resolved, then answered.

The answer is a disclosure like a referral: a draft prepared under the recipient's agreement (the same filtered
rendering, so a correction reaches the recipient as the corrected values, with the agreement's limits), reviewed by
a second person, and sent by `disclosures.send` (pending accounting row, SMTP, sent).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.disclosure import disclosures, mail
from services.disclosure import inaccuracy_rules as rules
from services.disclosure.db import inaccuracies as queries
from shared import policy
from shared.errors import Conflict, Invalid, NotFound
from shared.events.disclosure import InaccuracyCorrected
from shared.internal import InternalClient
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)
HEADING = "Answer to a report of a possible inaccuracy on"


async def _report(uow: UnitOfWork, report_id: uuid.UUID, *, lock: bool = False) -> Any:
    row = await queries.report(uow.session, report_id, lock=lock)
    if row is None:
        raise NotFound(f"no inaccuracy report {report_id}")
    policy.require_visible(row["program"], f"no inaccuracy report {report_id}")
    return row


async def record(
    *,
    uow: UnitOfWork,
    accounting_id: uuid.UUID,
    encounter_id: uuid.UUID,
    recipient_id: uuid.UUID | None,
    field: str | None,
    description: str,
    received_on: dt.date,
    today: dt.date,
) -> uuid.UUID:
    """Record the report against the disclosure it concerns and its encounter; the reporter is that disclosure's
    recipient, or another person of the same agreement."""
    report_id = uuid.uuid4()
    async with uow:
        disclosure = await queries.disclosure(uow.session, accounting_id)
        if disclosure is None or not policy.is_visible(disclosure["program"]):
            raise NotFound(f"no disclosure {accounting_id} in the accounting")
        rules.check_report(
            disclosure=disclosure, encounter_id=encounter_id, field=field, received_on=received_on, today=today
        )
        reporter_id = recipient_id or disclosure["recipient_id"]
        reporter = await queries.recipient(uow.session, reporter_id)
        if reporter is None:
            raise NotFound(f"no recipient {reporter_id}")
        if reporter["agreement_id"] != disclosure["agreement_id"]:
            raise Invalid("recipient_id: the reporter belongs to the agreement the disclosure was made under")
        await queries.insert(
            uow.session,
            {
                "id": report_id,
                "accounting_id": accounting_id,
                "case_id": disclosure["case_id"],
                "subject_id": disclosure["subject_id"],
                "encounter_id": encounter_id,
                "recipient_id": reporter_id,
                "agreement_id": disclosure["agreement_id"],
                "recipient_agency": disclosure["recipient_agency"],
                "field": field,
                "description": description,
                "received_on": received_on,
                "recorded_by": uow.actor,
            },
        )
    log.info("inaccuracy report recorded", report_id=str(report_id))
    return report_id


async def resolve(
    *,
    uow: UnitOfWork,
    report_id: uuid.UUID,
    resolution: str,
    note: str,
    field: str | None,
    corrected_value: str | None,
    data_owner: str | None,
    now: dt.datetime,
) -> None:
    """A correction the data owner confirmed (cases applies it; every past recipient is listed), or no change."""
    rules.check_resolution(resolution, note=note, field=field, value=corrected_value)
    async with uow:
        row = await _report(uow, report_id, lock=True)
        rules.require_status(_status(row), (rules.RECEIVED,), "resolved")
        values: dict[str, Any] = {
            "resolution": resolution,
            "resolution_note": note.strip(),
            "resolved_by": uow.actor,
            "resolved_at": now,
        }
        if resolution == rules.CORRECTION:
            owner = data_owner or await queries.owner_of(uow.session, row["encounter_id"])
            if not owner:
                raise Invalid("data_owner: name the data owner who confirmed the correction")
            correction_id = uuid.uuid4()
            values |= {"correction_id": correction_id, "corrected_field": field, "data_owner": owner}
            uow.emit(
                InaccuracyCorrected(
                    report_id=report_id,
                    correction_id=correction_id,
                    encounter_id=row["encounter_id"],
                    field=str(field),
                    corrected_value=str(corrected_value),
                    data_owner=owner,
                )
            )
        await queries.resolve(uow.session, report_id, values)
    log.info("inaccuracy report resolved", report_id=str(report_id), resolution=resolution)


async def draft_answer(
    *, uow: UnitOfWork, cases: InternalClient, report_id: uuid.UUID, note: str, today: dt.date
) -> None:
    """The answer, drafted under the reporter's agreement for the purpose the disclosure was made for."""
    async with uow:
        row = await _report(uow, report_id)
        rules.require_status(_status(row), (rules.RESOLVED,), "answered")
        disclosure = await queries.disclosure(uow.session, row["accounting_id"])
    text = rules.answer_note(
        received_on=row["received_on"],
        disclosed_on=disclosure["sent_at"].date(),
        resolution=row["resolution"],
        resolution_note=row["resolution_note"],
        field=row["corrected_field"],
        note=note,
    )
    draft_id = await disclosures.create_draft(
        uow=uow,
        cases=cases,
        case_id=row["case_id"],
        recipient_id=row["recipient_id"],
        purpose=disclosure["purpose"],
        note=text,
        today=today,
        repeat_reason=f"answer to the recipient's report of a possible inaccuracy ({report_id})",
        heading=HEADING,
    )
    async with uow:
        if not await queries.set_answer(uow.session, report_id, draft_id):
            raise Conflict(f"the answer to report {report_id} was drafted by someone else meanwhile")


async def send_answer(
    *,
    uow: UnitOfWork,
    cases: InternalClient,
    report_id: uuid.UUID,
    office: mail.OfficeIdentity,
    smtp: tuple[str, int],
    now: dt.datetime,
    faults: frozenset[str] = frozenset(),
) -> None:
    """Send the answer's draft through the one send path (the second person's approval first)."""
    async with uow:
        row = await _report(uow, report_id)
        rules.require_status(_status(row), (rules.ANSWER_DRAFTED,), "sent its answer")
    await disclosures.send(
        uow=uow, cases=cases, draft_id=row["answer_draft_id"], office=office, smtp=smtp, now=now, faults=faults
    )


def _status(row: Any) -> str:
    return rules.status(
        resolution=row["resolution"],
        correction_applied=row["correction_applied_at"] is not None,
        answer_drafted=row["answer_draft_id"] is not None,
        answered=row["answer_state"] == "sent",
    )


def _view(row: Any) -> dict[str, Any]:
    return {**dict(row), "status": _status(row)}


async def get_report(*, uow: UnitOfWork, report_id: uuid.UUID) -> dict[str, Any]:
    async with uow:
        return _view(await _report(uow, report_id))


async def list_reports(
    *, uow: UnitOfWork, case_id: uuid.UUID | None, encounter_id: uuid.UUID | None, open_only: bool
) -> list[dict[str, Any]]:
    """A case's or an encounter's reports, or the queue of open ones (not yet answered), oldest received first."""
    async with uow:
        rows = await queries.listed(uow.session, case_id=case_id, encounter_id=encounter_id, open_only=open_only)
    return [_view(r) for r in rows]
