"""The disposal report: what every service's retention runs disposed of, per record kind and rule, counts only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.reporting import retention
from shared.runtime import RuntimeDep
from shared.web import CurrentPrincipal, secured

router = APIRouter(prefix="/api/v1/reports", tags=["retention"])


@router.get("/disposals", **secured("retention:manage"))
async def disposals(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    since: Annotated[datetime | None, Query(description="only runs judged as of this instant or later")] = None,
) -> dict[str, Any]:
    """Counts per service, record kind and rule (and those a legal hold spared), with the total; no id, no value."""
    return await retention.report(uow=rt.uow(actor=principal.username), since=since)
