"""Intake is where encounters enter the system; it listens for cases' answers per chunk and for agreements."""

from services.intake import coverage, progress, staging
from shared.events import topics
from shared.events.cases import EncounterDeleted, EncountersAttachedCounts
from shared.events.disclosure import AgreementChanged
from shared.runtime import Subscription

SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(
        name="agreements",
        topics=(topics.DISCLOSURE,),
        handlers={AgreementChanged: coverage.project_agreements},
        description="AgreementChanged -> which partners each program's agreements cover (preview warnings)",
    ),
    Subscription(
        name="attached",
        topics=(topics.CASES,),
        handlers={EncountersAttachedCounts: progress.record_attached, EncounterDeleted: staging.forget_deleted},
        description="EncountersAttached -> a batch's rows attached and failed (progress an analyst sees); "
        "EncounterDeleted (an owner's notice) -> its staged copy deleted",
    ),
)
