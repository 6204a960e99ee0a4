"""Composition root of disclosure."""

from pathlib import Path

from fastapi import FastAPI

from services.disclosure import (
    agreements,
    agreements_api,
    api,
    consumers,
    db,
    inaccuracies_api,
    pending,
    referrals_api,
    report_sends_api,
    retention,
)
from services.disclosure.settings import Settings
from shared import disposal_api
from shared.runtime import Runtime, ServiceSpec, create_service_app, serve


def _seeder(settings: Settings):  # type: ignore[no-untyped-def]
    async def seed(rt: Runtime) -> None:
        if settings.environment == "development" and settings.seed_dev_agreements:
            await agreements.seed_dev_agreements(uow_factory=rt.uow, pki_dir=settings.pki_dir)
        await _resolve_pending(rt, settings)
        disposal_api.schedule(rt, retention.RETENTION)

    return seed


async def _resolve_pending(rt: Runtime, settings: Settings) -> None:
    """Before serving: every disclosure a crash left pending, and every owner's report it left being sent, is
    delivered again (same message, same Message-ID) and accounted sent; what the relay cannot take now is retried
    in the background until none is left (`pending.keep_resolving`)."""
    smtp = (settings.smtp_host, settings.smtp_port)
    left = await pending.resolve_all(uow_factory=rt.uow, sender=settings.office_email, smtp=smtp)
    if left:
        rt.spawn(
            pending.keep_resolving(
                uow_factory=rt.uow,
                sender=settings.office_email,
                smtp=smtp,
                interval=settings.resolve_pending_interval,
            ),
            "resolve-pending",
        )


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="disclosure",
        description="Agreement-filtered responses to partners by encrypted email, every disclosure accounted for.",
        metadata=db.metadata,
        migrations_dir=Path(__file__).with_name("migrations"),
        # Referral, inaccuracy, report and retention routes first: /disclosures/referrals is not a {draft_id}.
        routers=[
            referrals_api.router,
            inaccuracies_api.router,
            report_sends_api.router,
            disposal_api.router("/api/v1/disclosures", retention.RETENTION),
            agreements_api.router,
            api.router,
        ],
        subscriptions=consumers.SUBSCRIPTIONS,
        on_start=_seeder(settings),
        calls=("cases",),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(spec(settings), settings)


def main() -> None:
    settings = Settings()
    serve(lambda: create_app(settings), settings)
