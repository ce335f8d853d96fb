"""The variables templates see, as Kestra builds them (its ``RunVariables``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from executor.engine.work import Work
from orchestrator.models.execution import TaskRun
from orchestrator.models.inputs import SecretInput
from orchestrator.models.labels import Label
from orchestrator.templating import ERROR_LOGS_KEY


def instant(moment: datetime | None) -> str | None:
    """Format a date as Kestra prints an instant: UTC, milliseconds, ``Z``."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def execution_variables(work: Work) -> dict[str, Any]:
    """Variables shared by every task run of the execution (and by flow outputs)."""
    execution = work.original
    flow = work.flow
    variables: dict[str, Any] = {
        "flow": {"id": flow.id, "namespace": flow.namespace, "revision": execution.flow_revision},
        "execution": {
            "id": execution.id,
            "startDate": instant(work.state.start_date),
            "originalId": execution.original_id or execution.id,
            "state": work.state.current.value,
        },
        "labels": nested_labels(work.labels),
        "outputs": outputs_map(work),
        "tasks": task_states(work),
        ERROR_LOGS_KEY: error_logs(work),
    }
    if flow.variables:
        variables["vars"] = flow.variables
    inputs = input_variables(work)
    if inputs:
        variables["inputs"] = inputs
    if execution.trigger is not None:
        variables["trigger"] = execution.trigger.variables
    return variables


def run_variables(work: Work, run: TaskRun, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """Variables of one task run: the execution's plus ``task``, ``taskrun``, ``parents``."""
    variables = dict(base if base is not None else execution_variables(work))
    task = work.index.task(run.task_id)
    variables["task"] = {"id": run.task_id, "type": task.type if task else None}
    taskrun: dict[str, Any] = {
        "id": run.id,
        "startDate": instant(run.state.start_date),
        "attemptsCount": len(run.attempts),
    }
    if run.parent_task_run_id is not None:
        taskrun["parentId"] = run.parent_task_run_id
    if run.value is not None:
        taskrun["value"] = run.value
    if run.iteration is not None:
        taskrun["iteration"] = run.iteration
    variables["taskrun"] = taskrun
    parents = []
    for ancestor in work.ancestors(run):
        entry: dict[str, Any] = {}
        if ancestor.value is not None:
            entry["taskrun"] = {"value": ancestor.value}
        if ancestor.outputs:
            entry["outputs"] = ancestor.outputs
        if entry:
            parents.append(entry)
    if parents:
        variables["parents"] = parents
        variables["parent"] = parents[0]
    return variables


def input_variables(work: Work) -> dict[str, Any]:
    """Inputs as templates see them: typed values, with raw defaults for missing ones.

    An execution created with no inputs at all (``inputs`` None) sees only the defaults.
    """
    values: dict[str, Any] = dict(work.inputs or {})
    for declared in work.flow.inputs:
        if declared.id not in values and declared.defaults is not None:
            default = declared.defaults
            if work.secrets is not None and isinstance(declared, SecretInput):
                default = work.secrets.encrypt(default)
            values[declared.id] = default
    nested: dict[str, Any] = {}
    for key, value in values.items():
        _put_dotted(nested, key, value)
    return nested


def _put_dotted(target: dict[str, Any], key: str, value: Any) -> None:
    *path, last = key.split(".")
    for part in path:
        child = target.setdefault(part, {})
        if not isinstance(child, dict):
            return
        target = child
    target.setdefault(last, value)


def nested_labels(labels: list[Label]) -> dict[str, Any]:
    """Labels as a map; dotted keys nest (``labels.system.correlationId``); first one wins."""
    nested: dict[str, Any] = {}
    for label in labels:
        _put_dotted(nested, label.key, label.value)
    return nested


def outputs_map(work: Work) -> dict[str, Any]:
    """Every task run's outputs: ``{taskId: outputs}``, or keyed by loop values.

    A run inside loops is found at ``outputs[taskId][v1][v2]...``, one level per enclosing
    run that has a value (outermost first), then the run's own value. Runs are merged in
    creation order. The map is kept in the run index and only the runs that got outputs
    since the last call are merged into it, so a long execution does not pay for all its
    runs at every dispatch.
    """
    index = work.run_index
    if index.outputs is None:
        index.outputs, index.outputs_pending = {}, []
        index.outputs_upto = -1
        for position, run in enumerate(work.runs):
            if run.outputs is not None:
                _deep_merge(index.outputs, _contribution(work, run))
                index.outputs_upto = position
    for position in index.outputs_pending:
        _deep_merge(index.outputs, _contribution(work, work.runs[position]))
    index.outputs_pending = []
    return dict(index.outputs)


def _contribution(work: Work, run: TaskRun) -> dict[str, Any]:
    values = [parent.value for parent in reversed(work.ancestors(run)) if parent.value]
    if run.value is not None:
        values.append(run.value)
    contribution: Any = run.outputs
    for value in reversed(values):
        contribution = {value: contribution}
    return {run.task_id: contribution}


def _deep_merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        existing = target.get(key)
        if isinstance(existing, dict) and isinstance(value, dict):
            merged = dict(existing)
            _deep_merge(merged, value)
            target[key] = merged
        else:
            target[key] = value


def task_states(work: Work) -> dict[str, Any]:
    """``tasks.<taskId>.state`` (or ``tasks.<taskId>[value].state`` for looped runs).

    Built once, then kept up to date by the run index as runs change state.
    """
    index = work.run_index
    if index.task_states is None:
        states: dict[str, Any] = {}
        for run in work.runs:
            entry = {"state": run.state.current.value}
            if run.value is None:
                states[run.task_id] = entry
            else:
                states.setdefault(run.task_id, {})[run.value] = entry
        index.task_states = states
    return dict(index.task_states)


def error_logs(work: Work) -> list[dict[str, Any]]:
    """Errors of the execution so far, for ``errorLogs()`` in error branches."""
    runs = [work.runs[position] for position in sorted(work.run_index.failures.values())]
    return [
        {
            "taskId": run.task_id,
            "taskRunId": run.id,
            "executionId": run.execution_id,
            "level": "ERROR",
            "message": run.error,
        }
        for run in runs
    ]
