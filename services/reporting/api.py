"""Reporting HTTP API: statistics only."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.reporting import handlers
from shared.runtime import RuntimeDep
from shared.web import CurrentPrincipal

router = APIRouter(prefix="/api/v1/reports", tags=["reporting"])


class DailyCount(BaseModel):
    day: date
    program: str
    metric: str
    value: int


@router.get("/daily", response_model=list[DailyCount])
async def daily(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
) -> list[dict[str, Any]]:
    return await handlers.daily_counts(uow=rt.uow(actor=principal.username), start=start, end=end)
