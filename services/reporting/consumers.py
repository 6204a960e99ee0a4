"""Reporting consumes every service's events and keeps only counts."""

from services.reporting import handlers
from shared.events import topics
from shared.runtime import Subscription


def subscriptions(digest_key: bytes) -> tuple[Subscription, ...]:
    return (
        Subscription(
            name="counts",
            topics=(topics.INTAKE_BATCH, topics.CASES, topics.REDRESS, topics.DISCLOSURE),
            handler=handlers.event_counter(digest_key),
            description="Imports, attachments, disclosures and redress steps -> counters and processing facts",
        ),
    )
