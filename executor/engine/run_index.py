"""Indexes over an execution's task runs, kept up to date change by change.

The engine asks the same questions on every event: which runs are still going, which
children a parent has, whether a branch of a parent has ended, failed, or which of its tasks
has no run yet. Answered by scanning the task-run list, each event costs as much as the
execution is long, and a long execution becomes quadratic. These indexes answer them in
constant time, and are updated in constant time when a run is added or replaced.

An index outlives the event that built it: it is cached against the task-run tuple of the
snapshot it describes (by identity), so the next event on that snapshot reuses it instead
of rebuilding it. A cached index that was changed without producing a snapshot (an engine
error, a rolled back batch) no longer matches any tuple and is rebuilt on next use.
"""

from __future__ import annotations

from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from executor.engine.flow_index import FlowIndex
from orchestrator.models.execution import TaskRun
from orchestrator.models.state import StateType

_CACHE_SIZE = 256
# Small executions are indexed anew each time: cheaper than the cache's bookkeeping.
_CACHE_FROM = 32
_CACHE: OrderedDict[int, RunIndex] = OrderedDict()

BranchKey = tuple[str | None, str]
"""(parent task run id, ``tasks`` | ``errors`` | ``finally``)."""


def bucket_of(index: FlowIndex, task_id: str) -> str:
    """The branch of its parent a task belongs to: ``errors``, ``finally`` or ``tasks``."""
    place = index.place(task_id)
    branch = place.branch if place is not None else "tasks"
    return branch if branch in ("errors", "finally") else "tasks"


@dataclass
class BranchStats:
    """What the engine needs to know about the runs of one branch of one parent."""

    total: int = 0
    terminated: int = 0
    states: Counter[StateType] = field(default_factory=Counter)
    tasks: Counter[str] = field(default_factory=Counter)
    ended_tasks: Counter[str] = field(default_factory=Counter)
    keys: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    iterations: Counter[tuple[str, int | None]] = field(default_factory=Counter)
    cursor: int = 0
    """Position in the branch's task list before which every task has a run."""

    def count(self, run: TaskRun, sign: int) -> None:
        """Add (``sign`` 1) or remove (-1) a run."""
        state = run.state.current
        self.total += sign
        self.states[state] += sign
        self.tasks[run.task_id] += sign
        self.keys[(run.task_id, run.value)] += sign
        self.iterations[(run.task_id, run.iteration)] += sign
        if state.is_terminated:
            self.terminated += sign
            self.ended_tasks[run.task_id] += sign

    @property
    def open(self) -> int:
        """How many runs of the branch have not ended."""
        return self.total - self.terminated

    def has(self, state: StateType) -> bool:
        """Whether a run of the branch is in ``state``."""
        return self.states[state] > 0


class RunIndex:
    """Positions, children, open runs and per-branch statistics of an execution's runs."""

    def __init__(self, runs: Iterable[TaskRun], flow: FlowIndex) -> None:
        """Index ``runs`` (in creation order) of an execution of the flow ``flow``."""
        self.flow = flow
        self.source: tuple[TaskRun, ...] | None = None
        self.positions: dict[str, int] = {}
        self.children: dict[str | None, list[str]] = defaultdict(list)
        self.open: dict[str, None] = {}
        self.branches: dict[BranchKey, BranchStats] = defaultdict(BranchStats)
        self.visits = 0
        """Runs indexed since the start: a measure of the work, for tests."""
        # The template variables built from every run (``outputs``, ``tasks``,
        # ``errorLogs``), kept up to date here, built in full by `executor.engine.variables`
        # when None.
        self.outputs: dict[str, Any] | None = None
        self.outputs_pending: list[int] = []
        """Positions of runs whose outputs are not merged into ``outputs`` yet, in order."""
        self.outputs_upto = -1
        """Highest position merged into ``outputs`` (or pending)."""
        self.task_states: dict[str, Any] | None = None
        self.latest: dict[tuple[str, str | None], int] = {}
        """Position of the newest run of each (task id, value): its state is the one shown."""
        self.failures: dict[str, int] = {}
        """Runs with an error that FAILED or ended in WARNING, by id: their position."""
        for position, run in enumerate(runs):
            self.added(run, position)

    def branch_key(self, run: TaskRun) -> BranchKey:
        """The branch of its parent ``run`` is counted in."""
        return run.parent_task_run_id, bucket_of(self.flow, run.task_id)

    def added(self, run: TaskRun, position: int) -> None:
        """Index a new run at ``position``."""
        self.visits += 1
        self.source = None
        self.positions[run.id] = position
        self.children[run.parent_task_run_id].append(run.id)
        if not run.state.current.is_terminated:
            self.open[run.id] = None
        self.branches[self.branch_key(run)].count(run, 1)
        self.latest[(run.task_id, run.value)] = position
        self._variables(None, run, position)

    def replaced(self, old: TaskRun, new: TaskRun) -> None:
        """A run was replaced by its new version."""
        self.visits += 1
        self.source = None
        if old.state.current is not new.state.current:
            if new.state.current.is_terminated:
                self.open.pop(new.id, None)
            else:
                self.open[new.id] = None
        if (old.state.current, old.value, old.iteration) != (
            new.state.current,
            new.value,
            new.iteration,
        ):
            stats = self.branches[self.branch_key(new)]
            stats.count(old, -1)
            stats.count(new, 1)
        self._variables(old, new, self.positions[new.id])

    def _variables(self, old: TaskRun | None, new: TaskRun, position: int) -> None:
        """Keep the template variables built from the runs up to date with one change."""
        if new.error and new.state.current in (StateType.FAILED, StateType.WARNING):
            self.failures[new.id] = position
        else:
            self.failures.pop(new.id, None)
        state = new.state.current
        shown = self.latest.get((new.task_id, new.value)) == position
        if (
            self.task_states is not None
            and shown
            and (old is None or old.state.current is not state)
        ):
            entry = {"state": state.value}
            if new.value is None:
                self.task_states[new.task_id] = entry
            else:
                self.task_states.setdefault(new.task_id, {})[new.value] = entry
        before = old.outputs if old is not None else None
        if self.outputs is not None and new.outputs is not before:
            # Merged in creation order, a run's outputs may be merged last only when no
            # newer run has outputs yet; anything else rebuilds the map on next use.
            if before is None and position > self.outputs_upto:
                self.outputs_pending.append(position)
                self.outputs_upto = position
            else:
                self.outputs = None


def index_for(runs: tuple[TaskRun, ...], flow: FlowIndex) -> RunIndex:
    """The index of ``runs``: the cached one when it still describes them, else a new one.

    The caller owns the returned index: it is taken out of the cache (changing it would
    make it wrong for ``runs``) until `keep` puts it back for the new tuple.
    """
    cached = _CACHE.pop(id(runs), None)
    if cached is not None and cached.source is runs and cached.flow is flow:
        cached.source = None
        return cached
    return RunIndex(runs, flow)


def keep(index: RunIndex, runs: tuple[TaskRun, ...]) -> None:
    """Cache ``index`` as the index of ``runs`` (the tuple of a new snapshot)."""
    if len(runs) < _CACHE_FROM:
        return
    index.source = runs
    _CACHE[id(runs)] = index  # the index holds ``runs``: its id is not reused meanwhile
    _CACHE.move_to_end(id(runs))
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)


def find_run(runs: tuple[TaskRun, ...], run_id: str) -> TaskRun | None:
    """Return the run ``run_id`` of ``runs`` through their index (None if there is none)."""
    cached = _CACHE.get(id(runs))
    if cached is None or cached.source is not runs:
        return next((run for run in runs if run.id == run_id), None)
    position = cached.positions.get(run_id)
    return None if position is None else runs[position]


__all__ = ["BranchKey", "BranchStats", "RunIndex", "bucket_of", "find_run", "index_for", "keep"]
