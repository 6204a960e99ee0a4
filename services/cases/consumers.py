"""Cases consumes chunks of imported rows (keyed by batch and chunk), accepted redress corrections and re-links,
the gateway's staff changes, owners' removal requests, and what disclosure did with its cases (drafts, reviews,
sends)."""

from services.cases import attach, corrections, disclosures, relinks, staff, withdrawals
from services.cases.settings import Settings
from shared.events import topics
from shared.events.disclosure import (
    DisclosureApproved,
    DisclosureDrafted,
    DisclosureReviewRequested,
    DisclosureSent,
    DisclosureSentBack,
    EncounterRemovalRequested,
    InaccuracyCorrected,
)
from shared.events.gateway import StaffChanged
from shared.events.intake import EncountersImported
from shared.events.redress import CorrectionAccepted, RelinkAccepted
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
            handlers={CorrectionAccepted: corrections.apply_corrections, RelinkAccepted: relinks.apply_relinks},
            description="CorrectionAccepted -> the encounter's field changes, its cases turn stale; RelinkAccepted -> "
            "encounters move to their right subject, the cases of both turn stale",
        ),
        Subscription(
            name="staff",
            topics=(topics.GATEWAY_STAFF,),
            handlers={StaffChanged: staff.staff_changed},
            description="StaffChanged -> who may be given a case (usernames, roles, programs, active)",
        ),
        Subscription(
            name="removals",
            topics=(topics.DISCLOSURE,),
            handlers={
                EncounterRemovalRequested: withdrawals.withdraw,
                InaccuracyCorrected: corrections.apply_inaccuracy_corrections,
            },
            description="EncounterRemovalRequested (an owner's reply) -> the encounter withdrawn from sharing and "
            "reports, the why kept; FlagSet and EncounterWithdrawn published. InaccuracyCorrected (a recipient's "
            "report resolved by the owner's correction) -> applied as a redress correction, EncounterCorrected",
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
