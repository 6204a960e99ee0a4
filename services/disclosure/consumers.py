"""Disclosure keeps its own read model of cases (event-carried state transfer)."""

from services.disclosure import handlers
from shared.events import topics
from shared.runtime import Subscription

SUBSCRIPTIONS = (
    Subscription(
        name="cases",
        topics=(topics.CASES,),
        handler=handlers.project_encounters,
        description="EncounterAttached -> encounter projection (owner, program, protection)",
    ),
)
