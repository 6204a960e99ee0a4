"""Disclosure keeps a non-personal read model of cases (ids, programs, owners, flags); values come from cases.
It accounts what left DHS by redress's hand: notices to system owners."""

from services.disclosure import notices, owner_deletions, projection, redress_notices
from services.disclosure.db import tables
from shared.disposal import hold_handlers
from shared.events import topics
from shared.events.cases import (
    EncounterCorrected,
    EncounterDeleted,
    EncountersAttached,
    EncountersRelinked,
    EncounterWithdrawn,
    FlagSet,
    RecordsPurged,
)
from shared.events.redress import OwnerNoticeSent
from shared.runtime import Subscription

SUBSCRIPTIONS = (
    Subscription(
        name="cases",
        topics=(topics.CASES,),
        handlers={
            EncountersAttached: projection.attached,
            FlagSet: projection.flag_set,
            EncounterCorrected: projection.corrected,
            EncountersRelinked: projection.relinked,
            RecordsPurged: projection.purged,
            EncounterWithdrawn: notices.withdrawn,
            EncounterDeleted: owner_deletions.deleted,
        },
        description="EncountersAttached (per chunk), FlagSet, EncounterCorrected, EncountersRelinked, RecordsPurged "
        "-> read model; EncounterWithdrawn -> removal notices for past recipients; EncounterDeleted (an owner's "
        "notice) -> values stripped to the accounting's minimum, past recipients listed",
    ),
    Subscription(
        name="redress",
        topics=(topics.REDRESS,),
        handlers={OwnerNoticeSent: redress_notices.owner_notice_sent},
        description="OwnerNoticeSent -> the notice to a system owner in the accounting of disclosures",
    ),
    Subscription(
        name="holds",
        topics=(topics.RETENTION,),
        handlers=hold_handlers(tables.metadata),
        description="LegalHoldPlaced, LegalHoldReleased -> the holds that spare accounting rows, notices and drafts",
    ),
)
