"""deploy/monitoring: the Grafana dashboard is generated from dashboard.py, shows every TRACS metric, and
every query is PromQL promtool accepts, over metrics that exist."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path
from types import ModuleType

import yaml

from tests.unit.test_alert_rules import EXTERNAL_METRICS, exported_metrics, promtool, series_names

__all__ = ["promtool"]  # the fixture, shared with the alert rule tests

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "deploy" / "monitoring" / "dashboard.py"
COMMITTED = ROOT / "deploy" / "monitoring" / "tracs-dashboard.json"
PROMQL_FUNCTIONS = {"rate", "histogram_quantile"}


def _source() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tracs_dashboard", SOURCE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _exprs() -> dict[str, str]:
    panels = json.loads(COMMITTED.read_text())["panels"]
    return {f"{p['title']} {t['refId']}": t["expr"] for p in panels for t in p.get("targets", [])}


def _scraped(name: str) -> str:
    """A histogram is scraped as <name>_bucket / _sum / _count."""
    return re.sub(r"_(bucket|sum|count)$", "", name)


def test_the_committed_dashboard_is_what_dashboard_py_generates() -> None:
    assert _source().render() == COMMITTED.read_text(), "run: .venv/bin/python deploy/monitoring/dashboard.py"


def test_every_query_reads_metrics_that_exist_and_every_tracs_metric_is_shown() -> None:
    exported = exported_metrics()
    shown: set[str] = set()
    for title, expr in _exprs().items():
        names = {_scraped(n) for n in series_names(expr) - PROMQL_FUNCTIONS}
        assert names and names <= exported | EXTERNAL_METRICS, f"{title}: {names - exported - EXTERNAL_METRICS}"
        shown |= names
    assert exported - shown == set(), "metrics no panel shows"


def test_panels_do_not_overlap_and_have_ids() -> None:
    panels = json.loads(COMMITTED.read_text())["panels"]
    assert [p["id"] for p in panels] == list(range(1, len(panels) + 1))
    cells = [
        (x, y)
        for p in panels
        for x in range(p["gridPos"]["x"], p["gridPos"]["x"] + p["gridPos"]["w"])
        for y in range(p["gridPos"]["y"], p["gridPos"]["y"] + p["gridPos"]["h"])
    ]
    assert len(cells) == len(set(cells))
    assert all(x < 24 for x, _ in cells)


def test_promtool_accepts_every_query(promtool: str, tmp_path: Path) -> None:
    """Each query, its Grafana variables filled in, as a recording rule: `promtool check rules` parses it."""
    rules = [
        {
            "record": f"tracs:dashboard_query_{i}",
            "expr": expr.replace("$__rate_interval", "1m").replace("$service", ".*"),
        }
        for i, expr in enumerate(_exprs().values())
    ]
    path = tmp_path / "dashboard.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(rules)} rules found" in done.stdout + done.stderr
