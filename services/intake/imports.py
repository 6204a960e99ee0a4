"""The list of imports: an analyst's own batches, or everyone's for a supervisor, with where each stands."""

from __future__ import annotations

from typing import Any

from services.intake import domain
from services.intake.db import imports as queries
from shared import policy
from shared.errors import Invalid
from shared.uow import UnitOfWork

STATUSES = ("staged", "confirmed", "rejected")


def whose(*, actor: str, mine: bool, sees_all: bool) -> str | None:
    """Whose batches are listed: one's own, unless a supervisor asks for everyone's (None)."""
    return None if sees_all and not mine else actor


async def listing(
    *, uow: UnitOfWork, mine: bool, sees_all: bool, status: str | None, limit: int, offset: int
) -> dict[str, Any]:
    if status is not None and status not in STATUSES:
        raise Invalid(f"status: one of {', '.join(STATUSES)}")
    async with uow:
        rows, total = await queries.listed(
            uow.session,
            programs=policy.visible_programs(),
            created_by=whose(actor=uow.actor, mine=mine, sees_all=sees_all),
            status=status,
            limit=limit,
            offset=offset,
        )
    items = [
        {
            **r,
            "progress": domain.progress(
                r["status"],
                dispatched=r["dispatched_at"] is not None,
                imported=r["rows_imported"],
                answered=r["rows_attached"] + r["rows_failed"],
            ),
        }
        for r in rows
    ]
    return {"items": items, "total": total}
