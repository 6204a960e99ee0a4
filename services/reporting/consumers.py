"""Reporting consumes every service's events and keeps only counts."""

from services.reporting import counting, retention
from shared.events import topics
from shared.events.cases import EncountersAttachedCounts, EncounterWithdrawn, RecordsPurged
from shared.events.disclosure import DisclosureSent
from shared.events.intake import BatchImported
from shared.events.redress import RedressStatusChanged
from shared.events.retention import RecordsDisposed
from shared.runtime import Subscription


def subscriptions(digest_key: bytes) -> tuple[Subscription, ...]:
    return (
        Subscription(
            name="counts",
            topics=(topics.INTAKE_BATCH, topics.CASES, topics.REDRESS, topics.DISCLOSURE),
            handlers={
                BatchImported: counting.count_batches,
                EncountersAttachedCounts: counting.attachment_counter(digest_key),  # the tally, not the rows
                DisclosureSent: counting.count_disclosures,
                RedressStatusChanged: counting.track_redress,
                RecordsPurged: counting.acknowledge_purge,
                EncounterWithdrawn: counting.uncount_withdrawn,
            },
            description="Imports, attachments, disclosures, redress steps -> counters, processing facts; purges seen",
        ),
        Subscription(
            name="disposals",
            topics=(topics.RETENTION,),
            handlers={RecordsDisposed: retention.disposed},
            description="RecordsDisposed (every service's retention runs, counts only) -> the disposal report",
        ),
    )
