"""WaitFor: after each iteration, check the condition; start another one after the interval.

The iterations are the WaitFor run's children, created like a loop's (`branches_of` gives
one task per child per iteration, told apart by ``iteration``). The run's outputs carry
``iterationCount`` and, once decided, ``conditionMet``: until then `state_of` keeps the
run RUNNING however its children ended (unless one failed).
"""

from __future__ import annotations

from typing import Any

from executor.engine.resolve import Branches, IterationTasks, resolve_state
from executor.engine.variables import execution_variables, run_variables
from executor.engine.work import Work
from orchestrator.models.execution import TaskRun, Timer, TimerKind
from orchestrator.models.state import StateType
from orchestrator.plugin import is_truthy
from orchestrator.tasks.base import LogLevel
from orchestrator.tasks.flow import WaitFor
from orchestrator.templating import TemplateError, TemplateRenderer

MET = "conditionMet"
COUNT = "iterationCount"


def timer_id(run: TaskRun) -> str:
    """The id of the timer that starts a WaitFor run's next iteration."""
    return f"wait-for:{run.id}"


def iteration_branches(run: TaskRun, task: WaitFor, errors: Any, finally_: Any) -> Branches:
    """The WaitFor's children: every task once per iteration started so far."""
    count = int((run.outputs or {}).get(COUNT, 1))
    enabled = [child for child in task.tasks if not child.disabled]
    return Branches(IterationTasks(enabled, count), errors, finally_)


def waiting_state(run: TaskRun, state: StateType | None) -> StateType | None:
    """The state `state_of` reports: None while the condition is not decided yet."""
    if state in (StateType.SUCCESS, StateType.WARNING) and (run.outputs or {}).get(MET) is None:
        return None
    return state


def advance(work: Work, renderer: TemplateRenderer) -> None:
    """Check the condition of every WaitFor whose iteration ended; decide or go on."""
    from executor.engine.flowables import branches_of

    for run in work.open_runs():
        task = work.index.task(run.task_id)
        outputs = run.outputs or {}
        if not isinstance(task, WaitFor) or run.state.current is not StateType.RUNNING:
            continue
        if outputs.get(MET) is not None or any(t.id == timer_id(run) for t in work.timers):
            continue
        state = resolve_state(work, branches_of(run, task), run.id)
        if state not in (StateType.SUCCESS, StateType.WARNING):
            continue  # still running, or failed: state_of ends it
        try:
            met = _condition(work, run, task, renderer)
        except TemplateError as exc:
            failed = work.set_run_state(run.id, StateType.FAILED, error=str(exc))
            work.log(LogLevel.ERROR, str(exc), failed)
            continue
        count = int(outputs.get(COUNT, 1))
        if met:
            work.put_fields(run, outputs={**outputs, MET: True})
            continue
        limits = task.check_frequency
        started = run.state.histories[0].date if run.state.histories else work.now
        if count >= limits.max_iterations or work.now - started >= limits.max_duration:
            _limit_reached(work, run, task, count)
            continue
        work.add_timer(
            Timer(
                id=timer_id(run),
                kind=TimerKind.WAIT_FOR,
                due=work.now + limits.interval,
                task_run_id=run.id,
            )
        )


def next_iteration(work: Work, run: TaskRun) -> None:
    """The interval is over: start the next iteration."""
    outputs = run.outputs or {}
    work.put_fields(run, outputs={**outputs, COUNT: int(outputs.get(COUNT, 1)) + 1})


def _condition(work: Work, run: TaskRun, task: WaitFor, renderer: TemplateRenderer) -> bool:
    if isinstance(task.condition, bool):
        return task.condition
    variables = work.reveal(run_variables(work, run, execution_variables(work)))
    value = renderer.render(task.condition, variables, task_id=task.id, property_path="condition")
    return is_truthy(value)


def _limit_reached(work: Work, run: TaskRun, task: WaitFor, count: int) -> None:
    message = f"WaitFor '{task.id}' reached its limits after {count} iteration(s)"
    outputs = {**(run.outputs or {}), MET: False}
    if task.fail_on_max_reached:
        failed = work.set_run_state(run.id, StateType.FAILED, outputs=outputs, error=message)
        work.log(LogLevel.ERROR, message, failed)
    else:
        work.put_fields(run, outputs=outputs)
        work.log(LogLevel.WARN, message, work.run(run.id))


__all__ = ["advance", "iteration_branches", "next_iteration", "timer_id", "waiting_state"]
