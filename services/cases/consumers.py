"""Cases consumes imported encounters (keyed by subject, so one person's rows arrive in order)."""

from services.cases import handlers
from shared.events import topics
from shared.runtime import Subscription

SUBSCRIPTIONS = (
    Subscription(
        name="encounters",
        topics=(topics.INTAKE_ENCOUNTER,),
        handler=handlers.attach_encounters,
        description="EncounterImported -> subject + encounter (idempotent through the inbox)",
    ),
)
