"""Reporting consumes every service's events and keeps only counts."""

from services.reporting import handlers
from shared.events import topics
from shared.runtime import Subscription


def subscriptions(digest_key: bytes) -> tuple[Subscription, ...]:
    return (
        Subscription(
            name="counts",
            topics=(topics.INTAKE_BATCH, topics.CASES),
            handler=handlers.event_counter(digest_key),
            description="BatchImported and EncounterAttached -> day/program/partner and data-owner counters",
        ),
    )
