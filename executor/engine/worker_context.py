"""The variables sent to a worker with a task: the run-wide ones only when it may read them.

``outputs``, ``tasks`` and the error logs are built from every task run of the execution,
so sending them with each worker task makes each message as large as the execution is
long. A task that never names them cannot read them (templates read variables by name), so
it gets the rest only. A task whose templates render other templates (``render``), or whose
flow's ``variables`` name them (read through ``vars``), keeps them all, and so does a
task whose code reads them (``Task.reads_run_variables``).
"""

from __future__ import annotations

import json
from typing import Any

from orchestrator.models.flow import Flow
from orchestrator.tasks.base import Task
from orchestrator.templating import ERROR_LOGS_KEY

_RUN_WIDE = {"outputs": "outputs", "tasks": "tasks", ERROR_LOGS_KEY: "errorLogs"}
"""Run-wide variable -> the word a template must contain to read it."""
_FLOW_TEXTS: dict[int, tuple[Flow, str]] = {}


def _flow_text(flow: Flow) -> str:
    cached = _FLOW_TEXTS.get(id(flow))
    if cached is None or cached[0] is not flow:
        if len(_FLOW_TEXTS) >= 512:
            _FLOW_TEXTS.clear()
        cached = _FLOW_TEXTS[id(flow)] = (flow, json.dumps(flow.variables or {}, default=str))
    return cached[1]


def worker_context(
    variables: dict[str, Any], task: Task, definition: dict[str, Any], flow: Flow
) -> dict[str, Any]:
    """``variables`` without the run-wide ones ``task`` never names.

    ``definition`` is the task's wire form, as sent to the worker.
    """
    if task.reads_run_variables:
        return variables
    text = json.dumps(definition, default=str)
    if "render" in text:
        return variables
    flow_text = _flow_text(flow)
    kept = dict(variables)
    for key, word in _RUN_WIDE.items():
        if word not in text and word not in flow_text:
            kept.pop(key, None)
    return kept


__all__ = ["worker_context"]
