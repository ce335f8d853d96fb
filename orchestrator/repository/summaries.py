"""Execution summaries and per-day statistics: the documents behind the list and dashboard.

Measured on the embedded server (noida-db, bench/ui_queries.py): a search reads every
document of the indices it names, so it costs in proportion to their bytes; execution
documents carry their whole task run list, and a dashboard over 100,000 of them took
seconds. Two small families answer the UI instead, both Kibana-friendly flat documents:

- **Summaries** (``execution-summaries``, one index per UTC day of the start): an execution's
  searchable fields and nothing else, written by the indexer with the snapshot's ``seq`` as
  external version, exactly like the execution document, so replays are harmless. A search
  of a time range names only its days (``IndexNames.covering``).
- **Day statistics** (``execution-stats``): one document per day and flow (counts by state,
  duration count/sum/min/max, the latest durations), *computed* from that day's summaries
  after each write, never incremented. Computing again gives the same document, so a
  replayed record cannot count twice; the external version is the time the computation
  started, so the last one started wins when two indexers compute the same day.

Pure functions: no Elasticsearch, no Kafka.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from orchestrator.models.execution import Execution
from orchestrator.models.state import StateType
from orchestrator.repository.documents import flow_key, iso

SUMMARY_FIELDS = (
    "@timestamp",
    "type",
    "version",
    "id",
    "namespace",
    "flowId",
    "flowKey",
    "flowRevision",
    "seq",
    "startDate",
    "endDate",
    "durationMs",
    "labels",
    "parentId",
    "deleted",
)
"""Fields of the execution document a summary keeps as they are (plus state and trigger)."""

LATEST_KEPT = 100
"""Latest ended executions' durations kept per day and flow (the dashboard's sample)."""

STATS_READ_FIELDS = ["@timestamp", "namespace", "flowId", "flowKey", "state.current"]
"""Fields of a summary the day statistics read (with ``durationMs``, ``deleted``)."""


def summary_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The summary of an execution document (see ``execution_document``)."""
    summary = {key: document[key] for key in SUMMARY_FIELDS if key in document}
    summary["state"] = {"current": document.get("state", {}).get("current")}
    trigger = document.get("trigger")
    if isinstance(trigger, Mapping) and trigger.get("id") is not None:
        summary["trigger"] = {"id": trigger["id"]}
    return summary


def summary_day(execution: Execution) -> datetime | None:
    """When an execution started: the day of its summary's index (None: not started)."""
    return execution.state.start_date


def stats_id(day: date, key: str) -> str:
    """Id of the statistics of flow ``key`` on ``day``."""
    return f"{day.isoformat()}/{key}"


@dataclass
class _FlowDay:
    namespace: str
    flow_id: str
    states: dict[str, int] = field(default_factory=dict)
    durations: list[tuple[str, int]] = field(default_factory=list)


def day_statistics(
    day: date, summaries: Iterable[Mapping[str, Any]], flows: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """The statistics documents of ``day`` from all its summaries.

    Args:
        day: The UTC day the summaries started on.
        summaries: ``_source`` of every summary of the day (deleted ones are skipped).
        flows: Flow keys that must get a document even without executions left (their
            earlier figures are overwritten with zeros).
    """
    per_flow: dict[str, _FlowDay] = {}
    for source in summaries:
        if source.get("deleted"):
            continue
        key = str(source.get("flowKey") or flow_key(source["namespace"], source["flowId"]))
        figures = per_flow.get(key)
        if figures is None:
            figures = per_flow[key] = _FlowDay(str(source["namespace"]), str(source["flowId"]))
        state = str((source.get("state") or {}).get("current") or StateType.CREATED.value)
        figures.states[state] = figures.states.get(state, 0) + 1
        duration = source.get("durationMs")
        if duration is not None and source.get("@timestamp"):
            figures.durations.append((str(source["@timestamp"]), int(duration)))
    for key in flows:
        if key not in per_flow:
            namespace, _, flow_id = key.partition("/")
            per_flow[key] = _FlowDay(namespace, flow_id)
    return [_document(day, key, figures) for key, figures in sorted(per_flow.items())]


def _document(day: date, key: str, figures: _FlowDay) -> dict[str, Any]:
    values = [duration for _, duration in figures.durations]
    latest = sorted(figures.durations, reverse=True)[:LATEST_KEPT]
    document: dict[str, Any] = {
        "@timestamp": iso(datetime(day.year, day.month, day.day, tzinfo=UTC)),
        "day": day.isoformat(),
        "namespace": figures.namespace,
        "flowId": figures.flow_id,
        "flowKey": key,
        "total": sum(figures.states.values()),
        "states": dict(sorted(figures.states.items())),
        "durationCount": len(values),
        "durationSumMs": sum(values),
        "latest": [{"at": at, "ms": duration} for at, duration in latest],
    }
    if values:
        document["durationMinMs"] = min(values)
        document["durationMaxMs"] = max(values)
    return document
