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
