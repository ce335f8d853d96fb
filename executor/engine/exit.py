"""``execution.Exit``: end the execution in a chosen state, killing what still runs."""

from __future__ import annotations

from typing import Any

from executor.engine.control import kill
from executor.engine.work import Work
from orchestrator.models.execution import TaskRun
from orchestrator.models.state import StateType
from orchestrator.tasks.base import LogLevel
from orchestrator.tasks.flow import Exit
from orchestrator.templating import TemplateError, TemplateRenderer

STATES = {
    "SUCCESS": StateType.SUCCESS,
    "WARNING": StateType.WARNING,
    "FAILED": StateType.FAILED,
    "KILLED": StateType.KILLED,
    "CANCELED": StateType.CANCELLED,
}
"""Kestra's ``state`` values and the state they give the run and the execution."""


def start_exit(
    work: Work, run: TaskRun, task: Exit, renderer: TemplateRenderer, variables: dict[str, Any]
) -> None:
    """End the Exit run in its state, then stop the execution (it ends in that state)."""
    state = STATES[task.state]
    if task.exit_message is not None:
        try:
            message = renderer.render(
                task.exit_message, variables, task_id=task.id, property_path="exitMessage"
            )
        except TemplateError as exc:
            message = f"exitMessage: {exc}"
        work.log(LogLevel.WARN if state.is_failed else LogLevel.INFO, str(message), run)
    work.set_run_state(run.id, state, outputs={"state": task.state})
    kill(work)


def exit_state(work: Work) -> StateType | None:
    """The state an Exit asked the execution to end in, if one ran."""
    for run in work.runs:
        if isinstance(work.index.task(run.task_id), Exit) and run.outputs:
            wanted = run.outputs.get("state")
            if wanted in STATES:
                return STATES[wanted]
    return None


__all__ = ["STATES", "exit_state", "start_exit"]
