"""Composition root of reporting."""

from pathlib import Path

from fastapi import FastAPI

from services.reporting import api, consumers, db
from services.reporting.settings import Settings
from shared.runtime import ServiceSpec, create_service_app, serve


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="reporting",
        description="Statistics only (DOSR, EPR, information bulletins): aggregates built from every event, no PII.",
        metadata=db.metadata,
        migrations_dir=Path(__file__).with_name("migrations"),
        routers=[api.router],
        subscriptions=consumers.subscriptions(settings.subject_digest_key.encode()),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(spec(settings), settings)


def main() -> None:
    settings = Settings()
    serve(lambda: create_app(settings), settings)
