"""Reporting consumes every service's events and keeps only counts."""

from services.reporting import handlers
from shared.events import topics
from shared.runtime import Subscription

SUBSCRIPTIONS = (
    Subscription(
        name="counts",
        topics=(topics.INTAKE_BATCH, topics.CASES),
        handler=handlers.count_events,
        description="BatchImported and EncounterAttached -> daily counters per program",
    ),
)
