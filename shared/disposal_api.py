"""The retention routes every service that applies its own rows shares (cases keeps its own, older ones): the
rules as configured, the legal holds that reached the service, and a run (dry by default), for admins and
privacy officers. Also the scheduled run, registered at start."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from shared import disposal
from shared.runtime import Runtime, RuntimeDep
from shared.web import CurrentPrincipal, secured


def router(prefix: str, retention: disposal.ServiceRetention) -> APIRouter:
    """`<prefix>/retention/rules`, `<prefix>/retention/holds`, `POST <prefix>/retention/run`."""
    r = APIRouter(prefix=f"{prefix}/retention", tags=["retention"])

    @r.get("/rules", **secured("retention:manage"))
    async def rules(rt: RuntimeDep) -> list[dict[str, Any]]:
        """This service's rows of the schedule with the periods configured."""
        return retention.rules(rt.settings.retention_years)  # type: ignore[attr-defined]

    if "legal_holds" in retention.metadata.tables:  # reporting holds no record a hold could name

        @r.get("/holds", **secured("retention:manage"))
        async def holds(rt: RuntimeDep, principal: CurrentPrincipal) -> list[dict[str, Any]]:
            """The legal holds placed in cases that reached this service, in force first."""
            async with rt.uow(actor=principal.username) as uow:
                return await disposal.list_holds(uow.session, retention.metadata.tables["legal_holds"])

    @r.post("/run", **secured("retention:manage"))
    async def run(
        rt: RuntimeDep,
        principal: CurrentPrincipal,
        dry_run: Annotated[bool, Query(description="count what would go; change nothing")] = True,
        as_of: Annotated[datetime | None, Query(description="judge due-ness as of this instant (dry runs)")] = None,
    ) -> dict[str, Any]:
        """Dispose of every record whose period has run out (held ones spared and counted); counts only."""
        now = disposal.judged_as_of(as_of, dry_run=dry_run, allow_as_of=False)
        return await retention.run(
            uow=rt.uow(actor=principal.username),
            now=now,
            dry_run=dry_run,
            years=rt.settings.retention_years,  # type: ignore[attr-defined]
        )

    return r


def schedule(rt: Runtime, retention: disposal.ServiceRetention) -> None:
    """The run by itself every `retention_interval_seconds` (0: never); one instance at a time by its lock."""
    interval = rt.settings.retention_interval_seconds  # type: ignore[attr-defined]
    if not interval:
        return

    async def run() -> None:
        await retention.run(
            uow=rt.uow(actor="retention-schedule"),
            now=datetime.now(UTC),
            dry_run=False,
            years=rt.settings.retention_years,  # type: ignore[attr-defined]
        )

    rt.every(interval, run, name="retention", first_after=interval)
