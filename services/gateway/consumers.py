"""The gateway keeps every service's signed audit checkpoints, and makes staff notifications from the events of
the services whose work they are about."""

from __future__ import annotations

from pathlib import Path

from services.gateway import audit_archive, notifications
from services.gateway.settings import Settings
from shared.events import topics
from shared.events.audit import AuditCheckpointSigned
from shared.events.cases import CaseAssigned
from shared.events.disclosure import DisclosureReviewRequested, ReferralReplied
from shared.events.redress import RedressSlaNearing
from shared.runtime import Subscription


def subscriptions(settings: Settings) -> tuple[Subscription, ...]:
    return (
        Subscription(
            name="audit-checkpoints",
            topics=(topics.AUDIT_CHECKPOINT,),
            handlers={AuditCheckpointSigned: audit_archive.checkpoint_keeper(Path(settings.audit_checkpoint_file))},
            description="Every service's signed audit checkpoints -> the gateway's table and archive file",
        ),
        # Notifications, one subscription (consumer group) per topic, as every service subscribes.
        Subscription(
            name="notify-cases",
            topics=(topics.CASES,),
            handlers={CaseAssigned: notifications.on_case_assigned},
            description="A case assigned to someone by someone else -> a notification for the assignee",
        ),
        Subscription(
            name="notify-disclosure",
            topics=(topics.DISCLOSURE,),
            handlers={
                DisclosureReviewRequested: notifications.on_review_requested,
                ReferralReplied: notifications.on_referral_replied,
            },
            description="A draft to review, an owner's reply to a referral -> notifications",
        ),
        Subscription(
            name="notify-redress",
            topics=(topics.REDRESS,),
            handlers={RedressSlaNearing: notifications.on_redress_sla},
            description="A redress request near its SLA -> notifications for its reviewers",
        ),
    )
