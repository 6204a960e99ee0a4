"""Disclosure keeps its own read model of cases and of imported values (event-carried state transfer)."""

from services.disclosure import handlers
from shared.events import topics
from shared.events.cases import (
    EncounterCorrected,
    EncountersAttached,
    FindingRecorded,
    FlagSet,
    RecordsPurged,
)
from shared.events.intake import EncounterImported
from shared.runtime import Subscription

SUBSCRIPTIONS = (
    Subscription(
        name="cases",
        topics=(topics.CASES,),
        handler=handlers.project_cases,
        accepts=(EncountersAttached, FlagSet, FindingRecorded, EncounterCorrected, RecordsPurged),
        description="EncountersAttached (per chunk), FlagSet, FindingRecorded, EncounterCorrected -> read model",
    ),
    Subscription(
        name="records",
        topics=(topics.INTAKE_ENCOUNTER,),
        handler=handlers.project_records,
        accepts=(EncounterImported,),
        description="EncounterImported -> the field values a response may quote",
    ),
)
