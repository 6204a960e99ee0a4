"""Composition root of intake."""

from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from services.intake import api, consumers, db
from services.intake.dispatch import dispatch_once
from services.intake.settings import Settings
from services.intake.staging import purge_staging
from shared.runtime import Runtime, ServiceSpec, create_service_app, serve
from shared.web import BodySizeLimit

MULTIPART_OVERHEAD = 64 * 1024


async def _start_loops(rt: Runtime) -> None:
    """The dispatcher (confirmed rows -> chunk events) and the purge of decided batches' staged rows."""
    settings: Settings = rt.settings  # type: ignore[assignment]

    async def dispatch() -> bool:
        # More chunks waiting: go again at once. A failure leaves the cursor where it was, so the retry
        # sends the same rows.
        return bool(await dispatch_once(rt.uow(actor="dispatcher")))

    async def purge() -> None:
        await purge_staging(
            rt.uow(actor="retention-schedule"), now=datetime.now(UTC), keep_days=settings.staging_retention_days
        )

    rt.every(settings.dispatch_poll_interval, dispatch, name="dispatcher", retry_after=2.0)
    if settings.staging_purge_interval_seconds:
        rt.every(settings.staging_purge_interval_seconds, purge, name="staging-purge")


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="intake",
        description="Bulk import of IDENT match results and partner extracts: preview, confirm, never altered.",
        metadata=db.metadata,
        migrations_dir=Path(__file__).with_name("migrations"),
        routers=[api.router],
        subscriptions=consumers.SUBSCRIPTIONS,
        on_start=_start_loops,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(spec(), settings)
    # Multipart framing adds a little to the file itself.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes + MULTIPART_OVERHEAD, path_prefix=api.PREFIX)
    return app


def main() -> None:
    settings = Settings()
    serve(lambda: create_app(settings), settings)
