"""Composition root of intake."""

from pathlib import Path

from fastapi import FastAPI

from services.intake import api, consumers, db
from services.intake.settings import Settings
from shared.runtime import ServiceSpec, create_service_app, serve
from shared.web import BodySizeLimit

MULTIPART_OVERHEAD = 64 * 1024


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="intake",
        description="Bulk import of IDENT match results and partner extracts: preview, confirm, never altered.",
        metadata=db.metadata,
        migrations_dir=Path(__file__).with_name("migrations"),
        routers=[api.router],
        subscriptions=consumers.SUBSCRIPTIONS,
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
