"""Composition root of the gateway."""

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from services.gateway import accounts, api, console, consumers, db, notifications, notifications_api, users_api
from services.gateway.settings import Settings
from services.gateway.upstreams import Upstreams
from shared.runtime import Runtime, ServiceSpec, create_service_app, serve
from shared.web import BodySizeLimit


async def _seed(rt: Runtime) -> None:
    settings: Settings = rt.settings  # type: ignore[assignment]
    if settings.environment == "development" and settings.seed_dev_users:
        await accounts.seed_dev_users(uow=rt.uow(), password=settings.dev_password)

    async def announce() -> None:
        await accounts.announce_activity(
            uow=rt.uow(actor="staff-schedule"),
            today=datetime.now(UTC).date(),
            valid_days=settings.training_valid_days,
        )

    # Training lapses with the calendar: cases learns who may be given work at start and then every few hours.
    rt.every(settings.staff_announce_interval_seconds, announce, name="staff-activity", first_after=5.0)

    async def mail() -> None:
        await notifications.mail_due(
            uow=rt.uow(actor="notification-mail"),
            smtp=(settings.smtp_host, settings.smtp_port),
            sender=settings.notify_from,
            console_url=settings.console_url,
        )

    rt.every(settings.notify_mail_interval_seconds, mail, name="notification-mail", first_after=3.0)


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="gateway",
        description="Sign-in, users, the console, the merged audit trail and OpenAPI (the edge routes the rest).",
        metadata=db.metadata,
        migrations_dir=Path(__file__).with_name("migrations"),
        routers=[console.router, users_api.router, notifications_api.router, api.router],
        subscriptions=consumers.subscriptions(settings),
        on_start=_seed,
    )


def _with_upstreams(app: FastAPI, settings: Settings) -> None:
    """Pooled keep-alive clients to the services, opened with the app and closed when it stops."""
    runtime_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.upstreams = Upstreams(
            list(settings.routes().values()),
            timeout=settings.proxy_timeout_seconds,
            max_connections=settings.upstream_max_connections,
            max_keepalive=settings.upstream_keepalive_connections,
        )
        try:
            async with runtime_lifespan(app):
                yield
        finally:
            await app.state.upstreams.aclose()

    app.router.lifespan_context = lifespan


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(spec(settings), settings, openapi_url=None, docs_url=None)
    _with_upstreams(app, settings)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, path_prefix="/api/")
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, path_prefix="/imports")
    console.install(app)
    return app


def main() -> None:
    settings = Settings()
    serve(lambda: create_app(settings), settings)
