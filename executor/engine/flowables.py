"""Flowable tasks: how each starts, which children it runs next, and when it ends."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from executor.engine import wait_for
from executor.engine.resolve import (
    Branches,
    LoopTasks,
    ResolvedTask,
    current_branch,
    each_nexts,
    parallel_nexts,
    resolve,
    resolve_state,
    sequential_nexts,
    tolerated,
)
from executor.engine.work import Work
from orchestrator.models.execution import TaskRun
from orchestrator.models.state import StateType
from orchestrator.plugin import is_truthy
from orchestrator.tasks.base import FlowableTask
from orchestrator.tasks.flow import (
    AllowFailure,
    Dag,
    EachParallel,
    EachSequential,
    ForEach,
    If,
    Parallel,
    Pause,
    Switch,
    WaitFor,
    WorkingDirectory,
)
from orchestrator.templating import TemplateError, TemplateRenderer

_LOOPS = (ForEach, EachSequential, EachParallel)


class FlowableStartError(Exception):
    """A flowable could not start (its value, condition or loop values did not resolve)."""


def start_outputs(
    task: FlowableTask, renderer: TemplateRenderer, variables: dict[str, Any]
) -> dict[str, Any]:
    """Resolve what a flowable decides when it starts, as its outputs and loop values.

    Returns the fields to set on its task run (``outputs``, ``loop_values``).

    Raises:
        FlowableStartError: a template failed or the loop values are unusable.
    """
    try:
        if isinstance(task, Switch):
            value = renderer.render(task.value, variables, task_id=task.id, property_path="value")
            return {"outputs": {"value": value, "defaults": value not in task.cases}}
        if isinstance(task, If):
            condition = task.condition
            if isinstance(condition, str):
                condition = renderer.render(
                    condition, variables, task_id=task.id, property_path="condition"
                )
            return {"outputs": {"evaluationResult": is_truthy(condition)}}
        if isinstance(task, _LOOPS):
            return {"outputs": {}, "loop_values": _loop_values(task, renderer, variables)}
        if isinstance(task, WaitFor):
            return {"outputs": {wait_for.COUNT: 1}}
    except TemplateError as exc:
        raise FlowableStartError(str(exc)) from exc
    return {"outputs": {}}


def _loop_values(
    task: ForEach | EachSequential | EachParallel,
    renderer: TemplateRenderer,
    variables: dict[str, Any],
) -> tuple[str, ...]:
    raw: Any = task.values if isinstance(task, ForEach) else task.value
    name = "values" if isinstance(task, ForEach) else "value"
    if isinstance(raw, str):
        text = renderer.render(raw, variables, task_id=task.id, property_path=name)
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FlowableStartError(f"{name} is not a JSON list: {text!r}") from exc
        if not isinstance(raw, list):
            raise FlowableStartError(f"{name} is not a list: {text!r}")
        items = raw
    else:
        items = [
            renderer.render_recursive(item, variables, task_id=task.id, property_path=name)
            for item in raw
        ]
    nulls = sum(1 for item in items if item is None)
    if nulls:
        raise FlowableStartError(
            f"Found '{nulls}' null values on Each, with values={_java_text(raw)}"
        )
    values: list[str] = []
    for item in items:
        text = item if isinstance(item, str) else json.dumps(item, separators=(",", ":"))
        if text not in values:
            values.append(text)
    return tuple(values)


def _java_text(value: Any) -> str:
    """Write a value as Java's ``toString`` does, as Kestra's messages show it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_java_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_java_text(item)}" for key, item in value.items()) + "}"
    return str(value)


def branches_of(run: TaskRun, task: FlowableTask) -> Branches | None:
    """The ``tasks``/``errors``/``finally`` lists of a flowable run (None: nothing applies)."""
    errors, finally_ = resolve(task.errors), resolve(task.finally_)
    outputs = run.outputs or {}
    tasks: Sequence[ResolvedTask]
    if isinstance(task, Switch):
        value = outputs.get("value")
        chosen = task.cases.get(str(value)) if value is not None else None
        if chosen is None:
            chosen = task.defaults or None
        if chosen is None:
            return None
        tasks = resolve(chosen)
    elif isinstance(task, If):
        tasks = resolve(task.then if outputs.get("evaluationResult") else task.else_)
    elif isinstance(task, _LOOPS):
        enabled = [child for child in task.tasks if not child.disabled]
        tasks = LoopTasks(enabled, run.loop_values or ())
    elif isinstance(task, Dag):
        tasks = resolve(node.task for node in task.tasks)
    elif isinstance(task, WaitFor):
        return wait_for.iteration_branches(run, task, errors, finally_)
    elif isinstance(task, WorkingDirectory):
        tasks = resolve(task.run_tasks)  # with its internal end task
    else:
        tasks = resolve(getattr(task, "tasks", []))  # Sequential, Parallel, AllowFailure, Pause
    return Branches(tasks, errors, finally_)


def nexts_of(work: Work, run: TaskRun, task: FlowableTask) -> list[ResolvedTask]:
    """Children of a RUNNING flowable run to create now."""
    branches = branches_of(run, task)
    if branches is None:
        return []
    if isinstance(task, Parallel | EachParallel):
        return parallel_nexts(work, branches, run.id, task.concurrent)
    if isinstance(task, Dag):
        depends = {node.task.id: node.depends_on for node in task.tasks}
        return parallel_nexts(work, branches, run.id, task.concurrent, depends)
    if isinstance(task, ForEach) and task.concurrency_limit != 1:
        return each_nexts(work, branches, run.id, task.concurrency_limit)
    branch, current = current_branch(work, branches, run.id)
    return sequential_nexts(work, current, run.id, branch)


def state_of(work: Work, run: TaskRun, task: FlowableTask) -> StateType | None:
    """The state a RUNNING flowable run ends in now, or None while it waits."""
    branches = branches_of(run, task)
    if isinstance(task, AllowFailure):
        state = resolve_state(work, branches, run.id)
        if state is StateType.FAILED:
            state = StateType.WARNING
        return None if state is None else tolerated(state, False, task.allow_warning)
    state = resolve_state(work, branches, run.id, task.allow_failure, task.allow_warning)
    if isinstance(task, WaitFor):
        return wait_for.waiting_state(run, state)
    return state


def needs_pause(run: TaskRun, task: FlowableTask) -> bool:
    """Whether a RUNNING Pause run must now pause (it pauses once, never again)."""
    return (
        isinstance(task, Pause)
        and run.state.current is StateType.RUNNING
        and all(entry.state is not StateType.PAUSED for entry in run.state.histories)
    )
