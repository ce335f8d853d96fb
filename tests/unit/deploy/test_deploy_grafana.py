"""The Grafana dashboard queries only the metrics deploy/README.md documents."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from deploy_helpers import DEPLOY

DASHBOARD = DEPLOY / "grafana" / "kestrel-dashboard.json"
_ROW = re.compile(r"^\| `(kestrel_[a-z_]+)` \| (counter|gauge|histogram) \|", re.MULTILINE)
_METRIC = re.compile(r"\bkestrel_[a-z_]+\b")
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
}


def documented() -> dict[str, str]:
    """Metric name -> type, from the table of deploy/README.md."""
    table = dict(_ROW.findall((DEPLOY / "README.md").read_text(encoding="utf-8")))
    assert table, "no metric table in deploy/README.md"
    return table


def exposed(metrics: dict[str, str]) -> set[str]:
    """The sample names Prometheus sees for documented metrics."""
    return {name + suffix for name, kind in metrics.items() for suffix in _SUFFIXES[kind]}


def _expressions(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("expr", "definition", "query") and isinstance(value, str):
                yield value
            else:
                yield from _expressions(value)
    elif isinstance(node, list):
        for each in node:
            yield from _expressions(each)


def test_dashboard_is_grafana_json_with_unique_panel_ids() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] and dashboard["title"]
    panels = dashboard["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]


def test_every_metric_the_dashboard_queries_is_documented() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    used = {name for expr in _expressions(dashboard) for name in _METRIC.findall(expr)}
    assert used, "the dashboard queries no Kestrel metric"
    assert sorted(used - exposed(documented())) == []


def test_the_dashboard_covers_executions_lag_slots_and_trigger_delay() -> None:
    text = DASHBOARD.read_text(encoding="utf-8")
    for needed in (
        "kestrel_executor_execution_end_count_total",
        "kestrel_executor_execution_duration_seconds_bucket",
        "kestrel_consumer_lag",
        "kestrel_worker_thread",
        "kestrel_worker_job_running",
        "kestrel_scheduler_trigger_delay_seconds_bucket",
    ):
        assert needed in text, needed


def test_documented_metrics_are_the_ones_the_services_register() -> None:
    if importlib.util.find_spec("orchestrator.management") is None:
        pytest.skip("orchestrator.management (the metrics registry) is not in this tree yet")
    # Importing them registers every metric and the lag collector.
    importlib.import_module("orchestrator.management")
    importlib.import_module("orchestrator.management.metrics")
    registry = importlib.import_module("prometheus_client").REGISTRY
    registered = {
        family.name: family.type
        for family in registry.collect()
        if family.name.startswith("kestrel_")
    }
    assert registered == documented()
