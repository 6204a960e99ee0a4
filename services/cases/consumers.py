"""Cases consumes imported encounters (keyed by subject, in order) and accepted redress corrections."""

from services.cases import handlers
from services.cases.settings import Settings
from shared.events import topics
from shared.events.intake import EncounterImported
from shared.events.redress import CorrectionAccepted
from shared.runtime import Subscription


def subscriptions(settings: Settings) -> tuple[Subscription, ...]:
    return (
        Subscription(
            name="encounters",
            topics=(topics.INTAKE_ENCOUNTER,),
            handler=handlers.attacher(settings.protected_caveat),
            accepts=(EncounterImported,),
            description="EncounterImported -> subject, encounter, case and import flags (idempotent via the inbox)",
        ),
        Subscription(
            name="corrections",
            topics=(topics.REDRESS,),
            handler=handlers.apply_corrections,
            accepts=(CorrectionAccepted,),
            description="CorrectionAccepted -> the encounter's field changes, its cases turn stale",
        ),
    )
