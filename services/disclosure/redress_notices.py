"""Redress's notices to system owners, accounted: the notice left DHS by the officer's hand (mail, email, fax,
phone, a ticket), not through a draft, yet it told the owner about a person, so the accounting of disclosures
lists it for each subject of the records it names (Privacy Act 552a(c), PIA 6.4) and the subject export shows it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.disclosure.db import redress_notices as queries
from services.disclosure.db.tables import REDRESS_OWNER_NOTICE
from shared.events.redress import OwnerNoticeSent
from shared.inbox import Delivered
from shared.uow import UnitOfWork

# A fixed phrase: the officer's words about the discrepancy stay in redress (they may quote personal data).
PURPOSE = "redress: discrepancy notice to the system owner"


async def owner_notice_sent(uow: UnitOfWork, delivered: list[Delivered[OwnerNoticeSent]]) -> None:
    """One accounting row per notice and subject of its records; a redelivery adds none (inbox, and the key)."""
    encounter_ids = [r.encounter_id for d in delivered for r in d.event.records]
    async with uow:
        cases = await queries.cases_of(uow.session, encounter_ids)
        await queries.account(uow.session, [row for d in delivered for row in accounting_rows(d.event, cases)])


def accounting_rows(notice: OwnerNoticeSent, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The notice's accounting, one row per subject with that subject's records and the oldest case holding one of
    them (the read model's; none if it has not heard of them yet: the row still names the subject, and the records'
    programs say who sees it)."""
    by_subject: dict[uuid.UUID, list[uuid.UUID]] = {}
    for record in notice.records:
        by_subject.setdefault(record.subject_id, []).append(record.encounter_id)
    # The officer records a day, not a time: the notice counts from the start of that day (UTC).
    sent_at = dt.datetime.combine(notice.sent_on, dt.time(0), dt.UTC)
    rows = []
    for subject_id, encounter_ids in by_subject.items():
        holding = [c for c in cases if c["encounter_id"] in encounter_ids]
        # A case of the subject first; else any case holding the records (a re-link the read model has yet to
        # apply): the case says which program's staff see the row.
        mine = [c for c in holding if c["subject_id"] == subject_id] or holding
        case_id = mine[0]["case_id"] if mine else None
        rows.append(
            {
                "id": uuid.uuid5(notice.notice_id, str(subject_id)),
                "kind": REDRESS_OWNER_NOTICE,
                "owner_notice_id": notice.notice_id,
                "redress_id": notice.redress_id,
                "case_id": case_id,
                "subject_id": subject_id,
                "sent_at": sent_at,
                "delivered_at": sent_at,
                "nature": f"notice of a discrepancy in its records, by {notice.channel}",
                "purpose": PURPOSE,
                "recipient_agency": notice.data_owner,
                "analyst": notice.sent_by,
                "matched": True,  # it is about records filed under this subject
                "encounter_ids": encounter_ids,
                "fields": [],  # TRACS released no field of them: the officer wrote to the owner of the records
                "state": "sent",
            }
        )
    return rows
