"""The TRACS Grafana dashboard, built with Grafana's foundation SDK; `tracs-dashboard.json` is its output.

Regenerate after editing: `.venv/bin/python deploy/monitoring/dashboard.py` (tests/unit/test_dashboard.py
fails while the committed JSON differs). Import the JSON in Grafana, or ship it in a ConfigMap for the
Grafana sidecar; choose the Prometheus data source in the `datasource` variable.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard, prometheus, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableRefresh

OUTPUT = Path(__file__).with_name("tracs-dashboard.json")
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
SERVICE = 'service=~"$service"'


def panel(title: str, description: str, unit: str, *queries: tuple[str, str], width: int = 12) -> timeseries.Panel:
    """A time series of PromQL queries, each `(expr, legend)`."""
    built = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .min(0)
        .height(8)
        .span(width)
    )
    for ref, (expr, legend) in zip("ABCDEFGH", queries, strict=False):
        built = built.with_target(prometheus.Dataquery().ref_id(ref).expr(expr).legend_format(legend))
    return built


def build() -> dashboard.Dashboard:
    return (
        dashboard.Dashboard("TRACS")
        .uid("tracs-overview")
        .description("Consumers, dead letters, outbox relays and obligations of every TRACS service")
        .tags(["tracs"])
        .time("now-6h", "now")
        .refresh("30s")
        .timezone("utc")
        .with_variable(dashboard.DatasourceVariable("datasource").label("Data source").type("prometheus"))
        .with_variable(
            dashboard.QueryVariable("service")
            .label("Service")
            .datasource(DATASOURCE)
            .query("label_values(up, service)")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
            .multi(True)
            .include_all(True)
            .all_value(".*")
        )
        .with_row(dashboard.Row("Consumers"))
        .with_panel(
            panel(
                "Consumer lag per group",
                "Events behind the end of each topic, per subscription (consumer group tracs-<service>.<name>). "
                "KEDA scales on it; TracsConsumerLagGrowing fires when it keeps growing.",
                "short",
                (
                    f"sum by (consumer, topic) (max by (consumer, topic, partition) (tracs_consumer_lag{{{SERVICE}}}))",
                    "{{consumer}} on {{topic}}",
                ),
            )
        )
        .with_panel(
            panel(
                "Events consumed by outcome",
                "applied, duplicate (the inbox absorbed a redelivery), ignored (not this consumer's), dead-lettered.",
                "ops",
                (
                    f"sum by (consumer, outcome) (rate(tracs_events_consumed_total{{{SERVICE}}}[$__rate_interval]))",
                    "{{consumer}} {{outcome}}",
                ),
            )
        )
        .with_panel(
            panel(
                "Handler latency",
                "Time to handle one consumed batch, its database transaction included.",
                "s",
                *[
                    (
                        f"histogram_quantile({q}, sum by (consumer, le) "
                        f"(rate(tracs_handler_seconds_bucket{{{SERVICE}}}[$__rate_interval])))",
                        f"{{{{consumer}}}} p{round(q * 100)}",
                    )
                    for q in (0.5, 0.95, 0.99)
                ],
                width=24,
            )
        )
        .with_row(dashboard.Row("Dead letters"))
        .with_panel(
            panel(
                "Messages dead-lettered",
                "Events sent to <topic>.dlq in the last 5 minutes (TracsDeadLetters fires on any).",
                "short",
                (
                    f"sum by (consumer, topic) (increase(tracs_dlq_messages_total{{{SERVICE}}}[5m]))",
                    "{{consumer}} from {{topic}}",
                ),
            )
        )
        .with_panel(
            panel(
                "Dead letters waiting for an operator",
                "Dead-lettered events not replayed or dropped yet (`tracs dlq list`); "
                "TracsDeadLettersWaiting fires after an hour.",
                "short",
                (f"max by (consumer) (tracs_dlq_pending{{{SERVICE}}})", "{{consumer}}"),
            )
        )
        .with_row(dashboard.Row("Outbox"))
        .with_panel(
            panel(
                "Outbox backlog",
                "Outbox rows not yet published, per service.",
                "short",
                (f"max by (service) (tracs_outbox_backlog{{{SERVICE}}})", "{{service}}"),
                width=8,
            )
        )
        .with_panel(
            panel(
                "Oldest unpublished outbox row",
                "Age of the oldest row waiting; TracsOutboxStuck fires above a minute.",
                "s",
                (f"max by (service) (tracs_outbox_oldest_unpublished_seconds{{{SERVICE}}})", "{{service}}"),
                width=8,
            )
        )
        .with_panel(
            panel(
                "Events published",
                "What the outbox relays publish, per topic.",
                "ops",
                (
                    f"sum by (topic) (rate(tracs_events_published_total{{{SERVICE}}}[$__rate_interval]))",
                    "{{topic}}",
                ),
                width=8,
            )
        )
        .with_row(dashboard.Row("Obligations"))
        .with_panel(
            panel(
                "Redress requests overdue",
                "Open redress requests past their SLA due date, per source (TracsRedressOverdue).",
                "short",
                ("max by (source) (tracs_redress_overdue)", "{{source}}"),
                width=8,
            )
        )
        .with_panel(
            panel(
                "Audit sequencer lag",
                "Age of the oldest audit entry not sequenced yet (TracsAuditSequencerBehind above 5 minutes).",
                "s",
                (f"max by (service) (tracs_audit_sequencer_lag_seconds{{{SERVICE}}})", "{{service}}"),
                width=8,
            )
        )
        .with_panel(
            panel(
                "Audit entries waiting to be sequenced",
                "Entries written to a service's trail that the sequencer has not taken yet.",
                "short",
                (f"max by (service) (tracs_audit_unsequenced_entries{{{SERVICE}}})", "{{service}}"),
                width=8,
            )
        )
        .with_panel(
            panel(
                "Audit trail: entries linked and checkpoints signed",
                "Entries the sequencers link per second, checkpoints signed per minute, and the chain's length.",
                "short",
                (f"sum by (service) (rate(tracs_audit_sequenced_total{{{SERVICE}}}[5m]))", "{{service}} linked/s"),
                (
                    f"sum by (service) (rate(tracs_audit_checkpoints_total{{{SERVICE}}}[5m])) * 60",
                    "{{service}} checkpoints/min",
                ),
                (f"max by (service) (tracs_audit_head{{{SERVICE}}})", "{{service}} chain length"),
                width=24,
            )
        )
        .with_row(dashboard.Row("Availability"))
        .with_panel(
            panel(
                "Instances answering /metrics",
                "Scrape health per service (TracsServiceDown fires on a pod down for 2 minutes).",
                "short",
                (f"sum by (service) (up{{{SERVICE}}})", "{{service}}"),
                width=24,
            )
        )
    )


def render() -> str:
    """The dashboard as Grafana's JSON model, keys sorted so a regeneration diffs cleanly."""
    data = json.loads(JSONEncoder().encode(build().build()))
    for number, item in enumerate(data["panels"], 1):  # the SDK leaves ids to Grafana: fix them here
        item["id"] = number
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render())
    sys.stdout.write(f"wrote {OUTPUT}\n")
