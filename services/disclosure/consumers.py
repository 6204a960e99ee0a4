"""Disclosure keeps a non-personal read model of cases (ids, programs, owners, flags); values come from cases."""

from services.disclosure import handlers
from shared.events import topics
from shared.events.cases import (
    CaseOpened,
    EncounterAttached,
    EncounterCorrected,
    FlagSet,
    RecordsPurged,
)
from shared.runtime import Subscription

SUBSCRIPTIONS = (
    Subscription(
        name="cases",
        topics=(topics.CASES,),
        handler=handlers.project_cases,
        accepts=(CaseOpened, EncounterAttached, FlagSet, EncounterCorrected, RecordsPurged),
        description="CaseOpened, EncounterAttached, FlagSet, EncounterCorrected, RecordsPurged -> read model",
    ),
)
