"""Intake is where encounters enter the system; it only listens for which partners agreements cover."""

from services.intake import handlers
from shared.events import topics
from shared.events.disclosure import AgreementChanged
from shared.runtime import Subscription

SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(
        name="agreements",
        topics=(topics.DISCLOSURE,),
        handler=handlers.project_agreements,
        accepts=(AgreementChanged,),
        description="AgreementChanged -> which partners each program's agreements cover (preview warnings)",
    ),
)
