"""Composition root of cases."""

from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from services.cases import (
    api,
    consumers,
    db,
    internal_api,
    owner_deletions_api,
    retention,
    retention_rules,
    search_api,
)
from services.cases.settings import Settings
from shared import name_spellings
from shared.runtime import Runtime, ServiceSpec, create_service_app, serve


async def _on_start(rt: Runtime) -> None:
    await _schedule_retention(rt)


def _warm_name_tables() -> None:
    """rigour loads its name tables on first use (~7 s of CPU): load them as the service starts (after its broker
    connections, before it listens), so the first import or person search does not pay it while an analyst waits."""
    name_spellings.symbols("Warm Up")


async def _schedule_retention(rt: Runtime) -> None:
    """Retention also runs by itself every interval (one instance at a time: the run takes a lock)."""
    settings: Settings = rt.settings  # type: ignore[assignment]
    if not settings.retention_interval_seconds:
        return

    async def run() -> None:
        await retention.run(
            uow=rt.uow(actor="retention-schedule"),
            now=datetime.now(UTC),
            dry_run=False,
            rules=retention_rules.rules(settings.retention_years),
        )

    rt.every(
        settings.retention_interval_seconds, run, name="retention", first_after=settings.retention_interval_seconds
    )


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="cases",
        description="Subjects, encounters and the analyst workbench for each match.",
        metadata=db.metadata,
        migrations_dir=Path(__file__).with_name("migrations"),
        routers=[search_api.router, owner_deletions_api.router, api.router, internal_api.router],
        subscriptions=consumers.subscriptions(settings),
        on_start=_on_start,
        warm_up=_warm_name_tables,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(spec(settings), settings)


def main() -> None:
    settings = Settings()
    serve(lambda: create_app(settings), settings)
