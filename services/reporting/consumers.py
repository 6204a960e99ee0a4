"""Reporting consumes every service's events and keeps only counts."""

from services.reporting import handlers
from shared.events import topics
from shared.events.cases import EncountersAttached
from shared.events.disclosure import DisclosureSent
from shared.events.intake import BatchImported
from shared.events.redress import RedressStatusChanged
from shared.runtime import Subscription


def subscriptions(digest_key: bytes) -> tuple[Subscription, ...]:
    count = handlers.event_counter(digest_key)
    return (
        Subscription(
            name="counts",
            topics=(topics.INTAKE_BATCH, topics.CASES, topics.REDRESS, topics.DISCLOSURE),
            handlers={
                BatchImported: count,
                EncountersAttached: count,
                DisclosureSent: count,
                RedressStatusChanged: count,
            },
            description="Imports, attachments, disclosures and redress steps -> counters and processing facts",
        ),
    )
