"""deploy/monitoring: promtool checks the alert rules and runs their unit tests; a broken rule file fails.

promtool comes from Debian's `prometheus` package; when it is missing these tests install it (as root, with
apt-get) and fail with apt-get's own words when that does not work. Nothing here is skipped."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from shared import metrics
from tests.support import debian_tools

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
RULES = MONITORING / "tracs-alerts.rules.yml"
RULE_TESTS = MONITORING / "tests" / "tracs-alerts.test.yml"
# Metrics from outside TRACS the rules may use: Prometheus's scrape health and kube-state-metrics.
EXTERNAL_METRICS = {"up", "kube_deployment_status_replicas_available", "kube_deployment_spec_replicas"}
PROMQL_WORDS = {
    "sum", "max", "min", "by", "on", "and", "or", "unless", "offset", "delta", "increase", "min_over_time",
}  # fmt: skip


def _run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def promtool() -> str:
    return debian_tools("promtool", package="prometheus", why="the alert rule tests")["promtool"]


def _rules() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def test_promtool_check_rules_accepts_the_rules(promtool: str) -> None:
    done = _run(promtool, "check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in done.stdout + done.stderr


def test_promtool_unit_tests_pass(promtool: str) -> None:
    done = _run(promtool, "test", "rules", str(RULE_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr


def test_every_alert_has_a_unit_test_where_it_fires() -> None:
    alerts = {rule["alert"] for rule in _rules()}
    firing = {
        case["alertname"]
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert alerts - firing == set(), "alerts without a test that sees them fire"


def exported_metrics() -> set[str]:
    """Every series name shared/metrics.py registers (counters are scraped with their `_total` suffix)."""
    return {
        m._name + ("_total" if m._type == "counter" else "")
        for m in (getattr(metrics, name) for name in dir(metrics))
        if hasattr(m, "_type") and hasattr(m, "_name")
    }


def series_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads."""
    # Drop label matchers, strings, ranges, durations and grouping clauses: what is left names series.
    expr = re.sub(r'\{[^}]*\}|"[^"]*"|\[[^\]]*\]|\b\d+[smhdwy]\b', " ", expr)
    expr = re.sub(r"\b(by|on|without|ignoring)\s*\([^)]*\)", " ", expr)
    return set(re.findall(r"[a-z_][a-z0-9_]*", expr)) - PROMQL_WORDS


def test_rules_use_only_metrics_that_exist() -> None:
    exported = exported_metrics()
    assert {"tracs_dlq_messages_total", "tracs_outbox_oldest_unpublished_seconds", "tracs_dlq_pending"} <= exported
    used: set[str] = set()
    for rule in _rules():
        names = series_names(rule["expr"])
        assert names, rule["alert"]
        assert names <= exported | EXTERNAL_METRICS, f"{rule['alert']}: {names - exported - EXTERNAL_METRICS}"
        used |= names
    # The four signals of issue 21 each have a rule.
    assert {
        "tracs_outbox_oldest_unpublished_seconds",
        "tracs_dlq_pending",
        "tracs_redress_overdue",
        "tracs_audit_sequencer_lag_seconds",
    } <= used


def test_a_misspelt_metric_in_a_rule_is_noticed() -> None:
    names = series_names('max by (service, consumer) (tracs_dlq_pendng{pod="a"}[5m]) > 0 and on (service) up')
    assert names == {"tracs_dlq_pendng", "up"}
    assert names - exported_metrics() - EXTERNAL_METRICS == {"tracs_dlq_pendng"}


def test_a_broken_rule_file_is_rejected(promtool: str, tmp_path: Path) -> None:
    broken = yaml.safe_load(RULES.read_text())
    broken["groups"][0]["rules"][0]["expr"] = "sum by (consumer (tracs_consumer_lag) > 1000"  # unbalanced
    path = tmp_path / "broken.rules.yml"
    path.write_text(yaml.safe_dump(broken))
    done = _run(promtool, "check", "rules", str(path))
    assert done.returncode != 0, done.stdout + done.stderr
    assert "FAILED" in done.stdout + done.stderr


def test_a_wrong_expectation_fails_the_unit_tests(promtool: str, tmp_path: Path) -> None:
    """The promtool tests can fail: the same tests against rules whose lag threshold was raised do."""
    rules = RULES.read_text().replace(") > 1000)", ") > 1000000)")
    assert rules != RULES.read_text()
    (tmp_path / "tracs-alerts.rules.yml").write_text(rules)
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "tracs-alerts.test.yml").write_text(RULE_TESTS.read_text())
    done = _run(promtool, "test", "rules", str(tests / "tracs-alerts.test.yml"))
    assert done.returncode != 0, done.stdout + done.stderr
    assert "TracsConsumerLagGrowing" in done.stdout + done.stderr
