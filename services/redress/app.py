"""Composition root of redress."""

from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from services.redress import api, consumers, db, privacy_act_api, retention, sla
from services.redress.db import privacy_act as privacy_act_queries
from services.redress.db import requests as request_queries
from services.redress.settings import Settings
from shared import disposal_api
from shared.gauges import set_labelled
from shared.metrics import REDRESS_OVERDUE
from shared.runtime import Runtime, ServiceSpec, create_service_app, serve

SOURCES = ("TRIP", "non-TRIP", "privacy-act-access", "privacy-act-amendment")


async def sample_overdue(session: AsyncSession) -> None:
    """`tracs_redress_overdue{source}` for the TracsRedressOverdue alert; due dates hold the SLA already (Privacy
    Act requests count by kind, past the clock that runs: the request's or the appeal's)."""
    today = datetime.now(UTC).date()
    overdue = await request_queries.overdue_by_source(session, today=today)
    for kind, n in (await privacy_act_queries.overdue_by_kind(session, today=today)).items():
        overdue[f"privacy-act-{kind}"] = n
    set_labelled(REDRESS_OVERDUE, "source", overdue, SOURCES)


async def _watch_sla(rt: Runtime) -> None:
    """Requests about to breach their SLA are announced once, from start and then every few minutes."""
    settings: Settings = rt.settings  # type: ignore[assignment]

    async def watch() -> None:
        await sla.announce_nearing(
            uow=rt.uow(actor="sla-watch"), today=datetime.now(UTC).date(), warning_days=settings.sla_warning_days
        )

    rt.every(settings.sla_watch_interval_seconds, watch, name="redress-sla-watch", first_after=2.0)


async def _on_start(rt: Runtime) -> None:
    disposal_api.schedule(rt, retention.RETENTION)
    await _watch_sla(rt)


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="redress",
        description="Traveler redress requests (DHS TRIP and others) from intake to resolution.",
        metadata=db.metadata,
        migrations_dir=Path(__file__).with_name("migrations"),
        # privacy-act and retention first: /{redress_id} would take them
        routers=[privacy_act_api.router, disposal_api.router("/api/v1/redress", retention.RETENTION), api.router],
        subscriptions=consumers.SUBSCRIPTIONS,
        samplers=[sample_overdue],
        calls=("cases",),
        on_start=_on_start,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(spec(), settings or Settings())


def main() -> None:
    settings = Settings()
    serve(lambda: create_app(settings), settings)
