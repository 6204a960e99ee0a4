"""Disclosure keeps a non-personal read model of cases (ids, programs, owners, flags); values come from cases."""

from services.disclosure import handlers
from shared.events import topics
from shared.events.cases import (
    EncounterCorrected,
    EncountersAttached,
    FlagSet,
    RecordsPurged,
)
from shared.runtime import Subscription

SUBSCRIPTIONS = (
    Subscription(
        name="cases",
        topics=(topics.CASES,),
        handler=handlers.project_cases,
        accepts=(EncountersAttached, FlagSet, EncounterCorrected, RecordsPurged),
        description="EncountersAttached (per chunk), FlagSet, EncounterCorrected, RecordsPurged -> read model",
    ),
)
