"""Disclosure keeps a non-personal read model of cases (ids, programs, owners, flags); values come from cases."""

from services.disclosure import handlers
from shared.events import topics
from shared.events.cases import (
    EncounterCorrected,
    EncountersAttached,
    EncountersRelinked,
    FlagSet,
    RecordsPurged,
)
from shared.runtime import Subscription

SUBSCRIPTIONS = (
    Subscription(
        name="cases",
        topics=(topics.CASES,),
        handlers={
            EncountersAttached: handlers.project_cases,
            FlagSet: handlers.project_cases,
            EncounterCorrected: handlers.project_cases,
            EncountersRelinked: handlers.project_cases,
            RecordsPurged: handlers.project_cases,
        },
        description="EncountersAttached (per chunk), FlagSet, EncounterCorrected, EncountersRelinked, RecordsPurged "
        "-> read model",
    ),
)
