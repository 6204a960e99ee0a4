"""Composition root of cases."""

from pathlib import Path

from fastapi import FastAPI

from services.cases import api, consumers, db
from services.cases.settings import Settings
from shared.runtime import ServiceSpec, create_service_app, serve


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="cases",
        description="Subjects, encounters and the analyst workbench for each match.",
        metadata=db.metadata,
        migrations_dir=Path(__file__).with_name("migrations"),
        routers=[api.router],
        subscriptions=consumers.subscriptions(settings),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(spec(settings), settings)


def main() -> None:
    settings = Settings()
    serve(lambda: create_app(settings), settings)
