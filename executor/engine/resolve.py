"""Which tasks run next under a parent, and what state a parent reaches (Kestra semantics).

A parent (a flowable task run, or the flow itself when the parent is None) has three lists:
``tasks``, ``errors`` and ``finally``. `current_branch` picks the list that is active;
the ``*_nexts`` functions return the tasks to create; `resolve_state` says when the parent
ends and how.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from executor.engine.work import Work
from orchestrator.models.execution import TaskRun
from orchestrator.models.state import StateType
from orchestrator.tasks.base import Task

_FINAL_PRECEDENCE = {
    StateType.KILLED: 4,
    StateType.FAILED: 3,
    StateType.WARNING: 2,
    StateType.PAUSED: 1,
}


@dataclass(frozen=True)
class ResolvedTask:
    """A task to run under a parent, with its loop value and iteration when in a loop."""

    task: Task
    value: str | None = None
    iteration: int | None = None

    def matches(self, run: TaskRun) -> bool:
        """Whether ``run`` is a run of this resolved task."""
        if run.task_id != self.task.id:
            return False
        if self.value is None and self.iteration is not None:  # a WaitFor iteration
            return run.iteration == self.iteration
        return self.value is None or run.value == self.value


def resolve(tasks: Iterable[Task]) -> list[ResolvedTask]:
    """Resolve a plain list of tasks; disabled tasks never run."""
    return [ResolvedTask(task) for task in tasks if not task.disabled]


def runs_of(work: Work, resolved: list[ResolvedTask], parent_id: str | None) -> list[TaskRun]:
    """Return the task runs of ``resolved`` under ``parent_id``, in creation order."""
    if not resolved:
        return []
    wanted: dict[str, set[str | None]] = {}
    for each in resolved:
        wanted.setdefault(each.task.id, set()).add(each.value)
    matched = []
    for run in work.children(parent_id):
        values = wanted.get(run.task_id)
        if values is not None and (None in values or run.value in values):
            matched.append(run)
    return matched


def _terminated(resolved: list[ResolvedTask], runs: list[TaskRun]) -> bool:
    return sum(1 for run in runs if run.state.current.is_terminated) >= len(resolved)


def _failed(runs: list[TaskRun]) -> bool:
    return any(run.state.current is StateType.FAILED for run in runs)


@dataclass(frozen=True)
class Branches:
    """The three lists of a parent, resolved."""

    tasks: list[ResolvedTask]
    errors: list[ResolvedTask]
    finally_: list[ResolvedTask]


def current_branch(
    work: Work, branches: Branches, parent_id: str | None
) -> tuple[str, list[ResolvedTask]]:
    """Return the active list of a parent: ``tasks``, then ``errors`` on failure, ``finally``.

    Errors run once a task of the list FAILED (retries are already over by then: a task
    waiting for a retry is RETRYING, not FAILED); ``finally`` runs after tasks or errors.
    """
    if runs_of(work, branches.finally_, parent_id):
        return "finally", branches.finally_
    error_runs = runs_of(work, branches.errors, parent_id)
    task_runs = runs_of(work, branches.tasks, parent_id)
    if error_runs or _failed(task_runs):
        if branches.finally_ and _terminated(branches.errors, error_runs):
            return "finally", branches.finally_
        return "errors", branches.errors
    if branches.finally_ and _terminated(branches.tasks, task_runs):
        return "finally", branches.finally_
    return "tasks", branches.tasks


def _blocked(runs: list[TaskRun]) -> bool:
    return any(not run.state.current.is_terminated for run in runs)


def sequential_nexts(
    work: Work, current: list[ResolvedTask], parent_id: str | None
) -> list[ResolvedTask]:
    """The next task of a sequence: the first without a run, once every run has ended."""
    if not current or work.state.current is StateType.KILLING:
        return []
    runs = runs_of(work, current, parent_id)
    if _blocked(runs):
        return []
    for each in current:
        if not any(each.matches(run) for run in runs):
            return [each]
    return []


def _tasks_branch(
    work: Work, branches: Branches, parent_id: str | None
) -> tuple[list[ResolvedTask] | None, list[ResolvedTask]]:
    """``(tasks, [])`` while the ``tasks`` list is active; else ``(None, nexts to create)``.

    A killed execution starts nothing; ``errors`` and ``finally`` always run sequentially.
    """
    if work.state.current is StateType.KILLING:
        return None, []
    branch, current = current_branch(work, branches, parent_id)
    if branch != "tasks":
        return None, sequential_nexts(work, current, parent_id)
    return current, []


def parallel_nexts(
    work: Work,
    branches: Branches,
    parent_id: str | None,
    concurrency: int,
    depends_on: dict[str, list[str]] | None = None,
) -> list[ResolvedTask]:
    """Tasks to start in parallel, at most ``concurrency`` active at once (0: no limit).

    With ``depends_on`` (a Dag), a task starts once each task it depends on has ended.
    After a failure nothing new starts: the errors branch runs, sequentially.
    """
    current, other = _tasks_branch(work, branches, parent_id)
    if current is None:
        return other
    runs = runs_of(work, current, parent_id)
    active = sum(1 for run in runs if not run.state.current.is_terminated)
    if concurrency and active >= concurrency:
        return []
    started = {(run.task_id, run.value) for run in runs}
    ended = {run.task_id for run in runs if run.state.current.is_terminated}
    ready = [
        each
        for each in current
        if (each.task.id, each.value) not in started
        and all(dep in ended for dep in (depends_on or {}).get(each.task.id, []))
    ]
    return ready[: concurrency - active] if concurrency else ready


def each_nexts(
    work: Work, branches: Branches, parent_id: str | None, limit: int
) -> list[ResolvedTask]:
    """Loop iterations in order, ``limit`` iterations at once (0: all); each one sequential."""
    current, other = _tasks_branch(work, branches, parent_id)
    if current is None:
        return other
    runs = runs_of(work, current, parent_id)
    groups: dict[str | None, list[ResolvedTask]] = {}
    for each in current:
        groups.setdefault(each.value, []).append(each)
    by_value: dict[str | None, list[TaskRun]] = {}
    for run in runs:
        by_value.setdefault(run.value, []).append(run)
    nexts: list[ResolvedTask] = []
    active = sum(
        1
        for value, group in groups.items()
        if value in by_value and not _group_done(group, by_value[value])
    )
    for value, group in groups.items():
        group_runs = by_value.get(value, [])
        if not group_runs:
            if limit and active >= limit:
                continue
            active += 1
            nexts.append(group[0])
        elif not _blocked(group_runs) and len(group_runs) < len(group):
            nexts.append(group[len(group_runs)])
    return nexts


def _group_done(group: list[ResolvedTask], runs: list[TaskRun]) -> bool:
    return len(runs) >= len(group) and not _blocked(runs)


def guess_final_state(
    runs: list[TaskRun], allow_failure: bool = False, allow_warning: bool = False
) -> StateType:
    """Combine children's states: KILLED > FAILED > WARNING > PAUSED > SUCCESS."""
    worst = StateType.SUCCESS
    for run in runs:
        if _FINAL_PRECEDENCE.get(run.state.current, 0) > _FINAL_PRECEDENCE.get(worst, 0):
            worst = run.state.current
    return tolerated(worst, allow_failure, allow_warning)


def tolerated(state: StateType, allow_failure: bool, allow_warning: bool) -> StateType:
    """Apply ``allowFailure`` (FAILED becomes WARNING) then ``allowWarning`` (to SUCCESS)."""
    if state is StateType.FAILED and allow_failure:
        state = StateType.WARNING
    if state is StateType.WARNING and allow_warning:
        state = StateType.SUCCESS
    return state


def resolve_state(
    work: Work,
    branches: Branches | None,
    parent_id: str | None,
    allow_failure: bool = False,
    allow_warning: bool = False,
) -> StateType | None:
    """Return the state a parent ends in, or None while it must wait.

    ``branches`` None means no list applies (a Switch without a matching case or defaults):
    the parent fails at once.
    """
    if branches is None:
        return tolerated(StateType.FAILED, allow_failure, allow_warning)
    branch, current = current_branch(work, branches, parent_id)
    task_runs = runs_of(work, branches.tasks, parent_id)
    if current:
        if _terminated(current, runs_of(work, current, parent_id)):
            return guess_final_state(task_runs, allow_failure, allow_warning)
        return None
    if branch == "tasks":
        return StateType.SUCCESS  # nothing enabled to run
    if _failed(task_runs):
        return guess_final_state(task_runs, allow_failure, allow_warning)
    return None
