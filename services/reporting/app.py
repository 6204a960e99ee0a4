"""Composition root of reporting."""

from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from services.reporting import api, consumers, db, disposals_api, retention, stored
from services.reporting.settings import Settings
from shared import disposal_api
from shared.runtime import Runtime, ServiceSpec, create_service_app, serve


async def _schedule_reports(rt: Runtime) -> None:
    """The weekly DOSR and monthly EPR and component reports are stored by themselves once their period ends;
    retention runs by itself too."""
    disposal_api.schedule(rt, retention.RETENTION)
    settings: Settings = rt.settings  # type: ignore[assignment]
    if not settings.report_store_interval_seconds:
        return

    async def run() -> None:
        await stored.store_due(
            uow_factory=lambda: rt.uow(actor="report-schedule"),
            today=datetime.now(UTC).date(),
            threshold=settings.suppression_threshold,
        )

    rt.every(settings.report_store_interval_seconds, run, name="stored-reports", first_after=5.0)


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="reporting",
        description="Statistics only (DOSR, EPR, information bulletins): aggregates built from every event, no PII.",
        metadata=db.metadata,
        migrations_dir=Path(__file__).with_name("migrations"),
        routers=[disposals_api.router, disposal_api.router("/api/v1/reports", retention.RETENTION), api.router],
        subscriptions=consumers.subscriptions(settings.subject_digest_key.encode()),
        on_start=_schedule_reports,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(spec(settings), settings)


def main() -> None:
    settings = Settings()
    serve(lambda: create_app(settings), settings)
