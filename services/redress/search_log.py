"""The redress search log: which source systems were searched for a request, when, by whom, with what result,
and which searches the redress program still requires before the request may be resolved."""

from __future__ import annotations

import uuid

from services.redress import domain
from services.redress.db import search_log as queries
from services.redress.requests import add_to_timeline, open_request
from shared.uow import UnitOfWork


async def log_search(
    *, uow: UnitOfWork, redress_id: uuid.UUID, system: str, result: str, notes: str, catalogue: list[str]
) -> None:
    """One search of one source system for the request (PIA 3.0: OBIM searches the source systems)."""
    domain.check_search(system, result, catalogue)
    async with uow:
        await open_request(uow, redress_id)
        await queries.add_search(
            uow.session,
            {"redress_id": redress_id, "system": system, "result": result, "notes": notes, "searched_by": uow.actor},
        )
        await add_to_timeline(uow, redress_id, "search-logged", {"system": system, "result": result})
