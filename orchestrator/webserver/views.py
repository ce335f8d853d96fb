"""Kestra-shaped JSON of flows, executions and log lines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from orchestrator.models.execution import Execution
from orchestrator.models.messages import FlowRecord, LogEntry
from orchestrator.models.state import State


def iso_duration(value: timedelta) -> str:
    """``PT1.5S``: the ISO 8601 duration Kestra's clients parse."""
    return f"PT{value.total_seconds():.3f}S"


def state_json(state: State) -> dict[str, Any]:
    """A state with its history, start and end dates and duration."""
    data = state.to_json_dict()
    if state.start_date is not None:
        data["startDate"] = state.start_date.isoformat()
    if state.end_date is not None:
        data["endDate"] = state.end_date.isoformat()
    if state.duration is not None:
        data["duration"] = iso_duration(state.duration)
    return data


def execution_json(execution: Execution) -> dict[str, Any]:
    """An execution as Kestra's API answers it."""
    data = execution.to_json_dict()
    data["state"] = state_json(execution.state)
    runs = data.get("taskRunList", [])
    for run, model in zip(runs, execution.task_run_list, strict=True):
        run["state"] = state_json(model.state)
    return data


def flow_json(record: FlowRecord, *, source: bool = False) -> dict[str, Any]:
    """A flow's parsed properties (its ``source`` too when asked for)."""
    data = dict(record.flow)
    data.update(
        {
            "id": record.id,
            "namespace": record.namespace,
            "revision": record.revision,
            "deleted": record.deleted,
            "disabled": bool(record.flow.get("disabled", False)),
            "updated": record.updated.isoformat(),
        }
    )
    if source:
        data["source"] = record.source
    return data


def log_json(entry: LogEntry) -> dict[str, Any]:
    """A log line with Kestra's field names."""
    data = entry.to_json_dict()
    data.pop("type", None)
    data.pop("version", None)
    if "attempt" in data:
        data["attemptNumber"] = data.pop("attempt")
    return data
