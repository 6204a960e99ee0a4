"""Cases consumes chunks of imported rows (keyed by batch and chunk), accepted redress corrections, and what
disclosure did with its cases (drafts, reviews, sends)."""

from services.cases import attach, corrections, disclosures
from services.cases.settings import Settings
from shared.events import topics
from shared.events.disclosure import (
    DisclosureApproved,
    DisclosureDrafted,
    DisclosureReviewRequested,
    DisclosureSent,
    DisclosureSentBack,
)
from shared.events.intake import EncountersImported
from shared.events.redress import CorrectionAccepted
from shared.runtime import Subscription


def subscriptions(settings: Settings) -> tuple[Subscription, ...]:
    return (
        Subscription(
            name="chunks",
            topics=(topics.INTAKE_CHUNKS,),
            handlers={EncountersImported: attach.attacher(settings.protected_caveat)},
            max_records=settings.chunks_per_transaction,
            description="EncountersImported (a chunk of rows) -> subjects, encounters, cases, import flags; one "
            "EncountersAttached per chunk (idempotent via the inbox)",
        ),
        Subscription(
            name="corrections",
            topics=(topics.REDRESS,),
            handlers={CorrectionAccepted: corrections.apply_corrections},
            description="CorrectionAccepted -> the encounter's field changes, its cases turn stale",
        ),
        Subscription(
            name="disclosures",
            topics=(topics.DISCLOSURE,),
            handlers={
                DisclosureDrafted: disclosures.record_steps,
                DisclosureReviewRequested: disclosures.record_steps,
                DisclosureSentBack: disclosures.record_steps,
                DisclosureApproved: disclosures.record_steps,
                DisclosureSent: disclosures.response_sent,
            },
            description="Disclosure's steps -> the case's timeline; DisclosureSent -> the case is response-sent",
        ),
    )
