"""Owners' reports (PIA 3.1): the report to DOS, or to a Component, of its encounters subsequently shared with
partners, generated from the accounting of disclosures. Itemised: one line per response with its encounters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.disclosure.db import owner_reports as queries
from shared.errors import Invalid
from shared.uow import UnitOfWork

MAX_DAYS = 366


async def shared_report(*, uow: UnitOfWork, owner: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Every response of the period that carried the owner's encounters, and how many encounters in all."""
    if end < start:
        raise Invalid("to is before from")
    if (end - start).days >= MAX_DAYS:
        raise Invalid(f"a report covers at most {MAX_DAYS} days")
    async with uow:
        items = await queries.shared_of_owner(uow.session, owner=owner, start=start, end=end)
    return {
        "owner": owner,
        "from": start,
        "to": end,
        "generated_at": dt.datetime.now(dt.UTC),
        "responses": len(items),
        "encounters_shared": sum(len(i["encounter_ids"]) for i in items),
        "items": items,
    }
