"""Redress keeps its own read model of the subjects cases holds."""

from services.redress import handlers
from shared.events import topics
from shared.runtime import Subscription

SUBSCRIPTIONS = (
    Subscription(
        name="cases",
        topics=(topics.CASES,),
        handler=handlers.project_subjects,
        description="EncounterAttached -> subject projection (encounter count, programs)",
    ),
)
