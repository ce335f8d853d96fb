"""Which tasks run next under a parent, and what state a parent reaches (Kestra semantics).

A parent (a flowable task run, or the flow itself when the parent is None) has three lists:
``tasks``, ``errors`` and ``finally``. `current_branch` picks the list that is active;
the ``*_nexts`` functions return the tasks to create; `resolve_state` says when the parent
ends and how.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import overload

from executor.engine.run_index import BranchStats
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


_RESOLVED: dict[int, tuple[object, list[ResolvedTask]]] = {}


def resolve(tasks: Iterable[Task]) -> list[ResolvedTask]:
    """Resolve a plain list of tasks; disabled tasks never run.

    A flow's lists never change, so a list's resolution is cached by identity: a flow of
    thousands of tasks is not resolved again at every pass of the engine.
    """
    if not isinstance(tasks, list):
        return [ResolvedTask(task) for task in tasks if not task.disabled]
    cached = _RESOLVED.get(id(tasks))
    if cached is not None and cached[0] is tasks:
        return cached[1]
    resolved = [ResolvedTask(task) for task in tasks if not task.disabled]
    if len(_RESOLVED) >= 4096:
        _RESOLVED.clear()
    _RESOLVED[id(tasks)] = (tasks, resolved)  # holding the list: its id is not reused
    return resolved


class LoopTasks(Sequence[ResolvedTask]):
    """A loop's children, once per value (or iteration), built on demand.

    A ForEach over 10,000 values has 10,000 times its children to run; the engine looks at
    a few of them per event, so they are not all built each time.
    """

    def __init__(self, children: list[Task], values: Sequence[str | None]) -> None:
        """Every task of ``children`` for each of ``values``, value by value."""
        self._children = children
        self._values = values

    def __len__(self) -> int:
        return len(self._children) * len(self._values)

    @overload
    def __getitem__(self, position: int) -> ResolvedTask: ...

    @overload
    def __getitem__(self, position: slice) -> Sequence[ResolvedTask]: ...

    def __getitem__(self, position: int | slice) -> ResolvedTask | Sequence[ResolvedTask]:
        if isinstance(position, slice):
            return [self[each] for each in range(*position.indices(len(self)))]
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(position)
        iteration, child = divmod(position, len(self._children))
        value = self._values[iteration]
        return ResolvedTask(self._children[child], value, iteration)


class IterationTasks(LoopTasks):
    """A WaitFor's children, once per iteration started (told apart by iteration only)."""

    def __init__(self, children: list[Task], count: int) -> None:
        """Every task of ``children`` for each of ``count`` iterations."""
        super().__init__(children, [None] * count)


def runs_of(work: Work, resolved: Sequence[ResolvedTask], parent_id: str | None) -> list[TaskRun]:
    """Return the task runs of ``resolved`` under ``parent_id``, in creation order.

    It visits every child of the parent: only for what the branch statistics do not answer.
    """
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


def _has_run(stats: BranchStats, each: ResolvedTask) -> bool:
    """Whether a run of ``each`` exists in its branch (`ResolvedTask.matches`, indexed)."""
    task_id = each.task.id
    if each.value is None and each.iteration is not None:
        return stats.iterations[(task_id, each.iteration)] > 0
    if each.value is None:
        return stats.tasks[task_id] > 0
    return stats.keys[(task_id, each.value)] > 0


@dataclass(frozen=True)
class Branches:
    """The three lists of a parent, resolved."""

    tasks: Sequence[ResolvedTask]
    errors: Sequence[ResolvedTask]
    finally_: Sequence[ResolvedTask]


def current_branch(
    work: Work, branches: Branches, parent_id: str | None
) -> tuple[str, Sequence[ResolvedTask]]:
    """Return the active list of a parent: ``tasks``, then ``errors`` on failure, ``finally``.

    Errors run once a task of the list FAILED (retries are already over by then: a task
    waiting for a retry is RETRYING, not FAILED); ``finally`` runs after tasks or errors.
    A branch's runs are counted by the parent's branch statistics: the tasks of a parent's
    lists are told apart by where they sit in the flow (task ids are unique).
    """
    if work.branch(parent_id, "finally").total:
        return "finally", branches.finally_
    errors = work.branch(parent_id, "errors")
    tasks = work.branch(parent_id, "tasks")
    if errors.total or tasks.has(StateType.FAILED):
        if branches.finally_ and errors.terminated >= len(branches.errors):
            return "finally", branches.finally_
        return "errors", branches.errors
    if branches.finally_ and tasks.terminated >= len(branches.tasks):
        return "finally", branches.finally_
    return "tasks", branches.tasks


def sequential_nexts(
    work: Work, current: Sequence[ResolvedTask], parent_id: str | None, branch: str = "tasks"
) -> list[ResolvedTask]:
    """The next task of a sequence: the first without a run, once every run has ended.

    The search starts where the last one stopped (runs are only ever added, and a restart
    that removes some rebuilds the statistics), so a long sequence costs O(1) per step.
    """
    if not current or work.state.current is StateType.KILLING:
        return []
    stats = work.branch(parent_id, branch)
    if stats.open:
        return []
    position = stats.cursor
    while position < len(current):
        each = current[position]
        if not _has_run(stats, each):
            stats.cursor = position
            return [each]
        position += 1
    stats.cursor = position
    return []


def _tasks_branch(
    work: Work, branches: Branches, parent_id: str | None
) -> tuple[Sequence[ResolvedTask] | None, list[ResolvedTask]]:
    """``(tasks, [])`` while the ``tasks`` list is active; else ``(None, nexts to create)``.

    A killed execution starts nothing; ``errors`` and ``finally`` always run sequentially.
    """
    if work.state.current is StateType.KILLING:
        return None, []
    branch, current = current_branch(work, branches, parent_id)
    if branch != "tasks":
        return None, sequential_nexts(work, current, parent_id, branch)
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
    stats = work.branch(parent_id, "tasks")
    active = stats.open
    if concurrency and active >= concurrency:
        return []
    ready = [
        each
        for each in current
        if stats.keys[(each.task.id, each.value)] <= 0
        and all(stats.ended_tasks[dep] > 0 for dep in (depends_on or {}).get(each.task.id, []))
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


def _blocked(runs: list[TaskRun]) -> bool:
    return any(not run.state.current.is_terminated for run in runs)


def _group_done(group: list[ResolvedTask], runs: list[TaskRun]) -> bool:
    return len(runs) >= len(group) and not _blocked(runs)


def guess_final_state(
    states: Iterable[StateType], allow_failure: bool = False, allow_warning: bool = False
) -> StateType:
    """Combine children's states: KILLED > FAILED > WARNING > PAUSED > SUCCESS."""
    worst = StateType.SUCCESS
    for state in states:
        if _FINAL_PRECEDENCE.get(state, 0) > _FINAL_PRECEDENCE.get(worst, 0):
            worst = state
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
    tasks = work.branch(parent_id, "tasks")
    reached = [state for state, count in tasks.states.items() if count > 0]
    if current:
        if work.branch(parent_id, branch).terminated >= len(current):
            return guess_final_state(reached, allow_failure, allow_warning)
        return None
    if branch == "tasks":
        return StateType.SUCCESS  # nothing enabled to run
    if tasks.has(StateType.FAILED):
        return guess_final_state(reached, allow_failure, allow_warning)
    return None
