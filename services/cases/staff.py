"""Who may be given a case: the gateway's logins as cases keeps them, fed by the gateway's StaffChanged events."""

from __future__ import annotations

from typing import Any

from services.cases.db import staff as queries
from shared.events.gateway import StaffChanged
from shared.inbox import Delivered
from shared.uow import UnitOfWork


async def staff_changed(uow: UnitOfWork, delivered: list[Delivered[StaffChanged]]) -> None:
    """Each login the gateway created or changed -> the staff projection (the newest change wins)."""
    newest: dict[str, dict[str, Any]] = {}
    for d in delivered:
        e = d.event
        row = {
            "username": e.username,
            "roles": sorted(e.roles),
            "programs": sorted(e.programs),
            "active": e.active,
            "changed_at": d.envelope.occurred_at,
        }
        if e.username not in newest or newest[e.username]["changed_at"] <= row["changed_at"]:
            newest[e.username] = row
    async with uow:
        await queries.upsert(uow.session, [newest[u] for u in sorted(newest)])
