"""Composition root of disclosure."""

from pathlib import Path

from fastapi import FastAPI

from services.disclosure import agreements, api, consumers, db
from services.disclosure.settings import Settings
from shared.runtime import Runtime, ServiceSpec, create_service_app, serve


def _seeder(settings: Settings):  # type: ignore[no-untyped-def]
    async def seed(rt: Runtime) -> None:
        if settings.environment == "development" and settings.seed_dev_agreements:
            await agreements.seed_dev_agreements(uow_factory=rt.uow, pki_dir=settings.pki_dir)

    return seed


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="disclosure",
        description="Agreement-filtered responses to partners by encrypted email, every disclosure accounted for.",
        metadata=db.metadata,
        migrations_dir=Path(__file__).with_name("migrations"),
        routers=[api.router],
        subscriptions=consumers.SUBSCRIPTIONS,
        on_start=_seeder(settings),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(spec(settings), settings)


def main() -> None:
    settings = Settings()
    serve(lambda: create_app(settings), settings)
