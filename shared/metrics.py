"""Prometheus metrics shared by every service (one process per service instance)."""

from prometheus_client import Counter, Gauge, Histogram

CONSUMER_LAG = Gauge(
    "tracs_consumer_lag",
    "Records behind the high watermark after the last batch",
    ["consumer", "topic", "partition"],
)
HANDLER_SECONDS = Histogram(
    "tracs_handler_seconds",
    "Time to handle one consumed batch including its DB transaction",
    ["consumer"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
EVENTS_CONSUMED = Counter("tracs_events_consumed_total", "Events consumed", ["consumer", "outcome"])
DLQ_MESSAGES = Counter("tracs_dlq_messages_total", "Messages sent to a dead-letter topic", ["consumer", "topic"])
OUTBOX_BACKLOG = Gauge("tracs_outbox_backlog", "Outbox rows not yet published")
EVENTS_PUBLISHED = Counter("tracs_events_published_total", "Events the relay published", ["topic"])
AUDIT_SEQUENCED = Counter("tracs_audit_sequenced_total", "Audit entries this process's sequencer linked")
AUDIT_HEAD = Gauge("tracs_audit_head", "Size of the audit chain after this process's last sequencer round")
AUDIT_CHECKPOINTS = Counter("tracs_audit_checkpoints_total", "Audit checkpoints this process signed")
# Sampled from the database every TRACS_METRICS_INTERVAL seconds (shared/runtime.py, MetricsSampler), so
# they hold even when the relay or the consumers are stuck, in every replica alike (alerts take the max).
OUTBOX_OLDEST_SECONDS = Gauge(
    "tracs_outbox_oldest_unpublished_seconds", "Age of the oldest outbox row not yet published (0 when none)"
)
DLQ_PENDING = Gauge(
    "tracs_dlq_pending",
    "Events this service's subscriptions dead-lettered that no operator has replayed or dropped yet",
    ["consumer"],
)
REDRESS_OVERDUE = Gauge(
    "tracs_redress_overdue", "Open redress requests past their due date (TRACS_REDRESS_SLA_DAYS_*)", ["source"]
)
# Sampled from the audit trail (shared/gauges.py): entries the sequencer has not linked yet.
AUDIT_UNSEQUENCED = Gauge("tracs_audit_unsequenced_entries", "Audit trail entries the sequencer has not sequenced yet")
AUDIT_SEQUENCER_LAG = Gauge(
    "tracs_audit_sequencer_lag_seconds", "Age of the oldest audit trail entry the sequencer has not sequenced yet"
)
