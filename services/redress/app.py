"""Composition root of redress."""

from pathlib import Path

from fastapi import FastAPI

from services.redress import api, consumers, db
from services.redress.settings import Settings
from shared.runtime import ServiceSpec, create_service_app, serve


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="redress",
        description="Traveler redress requests (DHS TRIP and others) from intake to resolution.",
        metadata=db.metadata,
        migrations_dir=Path(__file__).with_name("migrations"),
        routers=[api.router],
        subscriptions=consumers.SUBSCRIPTIONS,
        calls=("cases",),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(spec(), settings or Settings())


def main() -> None:
    settings = Settings()
    serve(lambda: create_app(settings), settings)
