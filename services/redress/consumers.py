"""Redress indexes imported records so a requester can be found in them."""

from services.redress import handlers
from shared.events import topics
from shared.events.cases import RecordsPurged
from shared.events.intake import EncounterImported
from shared.runtime import Subscription

SUBSCRIPTIONS = (
    Subscription(
        name="records",
        topics=(topics.INTAKE_ENCOUNTER,),
        handler=handlers.index_encounters,
        accepts=(EncounterImported,),
        description="EncounterImported -> person index (folded names, DOB, documents, FIN)",
    ),
    Subscription(
        name="purges",
        topics=(topics.CASES,),
        handler=handlers.forget_purged,
        accepts=(RecordsPurged,),
        description="RecordsPurged -> purged records leave the person index",
    ),
)
