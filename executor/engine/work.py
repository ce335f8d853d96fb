"""The engine's working copy of one execution while it applies an event.

Models are immutable; rebuilding the whole execution on every small change would be slow,
so the engine edits this mutable copy and freezes it into a new snapshot once at the end.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from executor.engine.decision import Environment
from executor.engine.flow_index import FlowIndex, index_of
from executor.engine.run_index import BranchStats, RunIndex, index_for, keep
from orchestrator.models.concurrency import ConcurrencyMessage
from orchestrator.models.execution import Execution, TaskRun, Timer
from orchestrator.models.flow import Flow
from orchestrator.models.labels import Label
from orchestrator.models.messages import ExecutionCommand, KillNotice, LogEntry, WorkerTask
from orchestrator.models.state import State, StateType
from orchestrator.secrets import SecretCodec
from orchestrator.tasks.base import LogLevel

WHOLE_UP_TO = 50
"""An execution with more task runs writes them to ``task-runs``, each when it changes."""


class Work:
    """A mutable execution plus the effects decided so far."""

    def __init__(self, execution: Execution, flow: Flow, env: Environment, now: datetime):
        """Start working on ``execution`` of ``flow`` at time ``now``."""
        self.original = execution
        self.flow = flow
        self.index: FlowIndex = index_of(flow)
        self.env = env
        self.now = now
        self.state: State = execution.state
        self.runs: list[TaskRun] = list(execution.task_run_list)
        self.labels: list[Label] = list(execution.labels)
        self.outputs: dict[str, Any] = dict(execution.outputs)
        self.timers: list[Timer] = list(execution.timers)
        self.metadata = execution.metadata
        self.inputs = execution.inputs
        self.secrets: SecretCodec | None = None
        self.version = 0
        self.worker_tasks: list[WorkerTask] = []
        self.commands: list[ExecutionCommand] = []
        self.kills: list[KillNotice] = []
        self.logs: list[LogEntry] = []
        self.admission: list[ConcurrencyMessage] = []
        self.run_index = index_for(execution.task_run_list, self.index)
        self.changed_runs: dict[str, None] = {}
        """Ids of the runs added or replaced (in order): what ``task-runs`` gets."""
        self.removed_runs: list[str] = []
        self.created = False
        """Whether this event created the execution (every run is new to ``task-runs``)."""

    @property
    def changed(self) -> bool:
        """Whether anything changed since the work started."""
        return self.version > 0

    def touch(self) -> None:
        """Record a change (snapshots are written only for changed executions)."""
        self.version += 1

    # ---- task runs ---------------------------------------------------------------------

    def run(self, run_id: str) -> TaskRun:
        """Return the current version of task run ``run_id``."""
        return self.runs[self.run_index.positions[run_id]]

    def find(self, run_id: str) -> TaskRun | None:
        """Return task run ``run_id`` or None."""
        position = self.run_index.positions.get(run_id)
        return None if position is None else self.runs[position]

    def children(self, parent_id: str | None) -> list[TaskRun]:
        """Return the task runs whose parent is ``parent_id``, in creation order."""
        positions = self.run_index.positions
        return [
            self.runs[positions[run_id]] for run_id in self.run_index.children.get(parent_id, [])
        ]

    def open_runs(self) -> list[TaskRun]:
        """Return the task runs that have not ended, in creation order.

        The engine's passes look at these only: an ended run needs nothing more, and
        visiting every run of a long execution at each event would make it quadratic.
        """
        positions = self.run_index.positions
        return [
            self.runs[position] for position in sorted(positions[i] for i in self.run_index.open)
        ]

    def branch(self, parent_id: str | None, name: str) -> BranchStats:
        """Statistics of the runs of one branch (``tasks``, ``errors``, ``finally``) of a parent."""
        return self.run_index.branches[(parent_id, name)]

    def add(self, run: TaskRun) -> None:
        """Append a new task run."""
        self.runs.append(run)
        self.run_index.added(run, len(self.runs) - 1)
        self.changed_runs[run.id] = None
        self.touch()

    def put(self, run: TaskRun) -> None:
        """Replace a task run by its new version."""
        position = self.run_index.positions[run.id]
        old, self.runs[position] = self.runs[position], run
        self.run_index.replaced(old, run)
        self.changed_runs[run.id] = None
        self.touch()

    def remove(self, run_ids: set[str]) -> None:
        """Remove task runs (restart drops error branches)."""
        self.removed_runs += [run.id for run in self.runs if run.id in run_ids]
        self.runs = [run for run in self.runs if run.id not in run_ids]
        self.run_index = RunIndex(self.runs, self.index)
        # The runs after a removed one moved: every position is written again (rare).
        self.changed_runs = dict.fromkeys(run.id for run in self.runs)
        self.touch()

    def release(self) -> None:
        """Nothing changed: the run index still describes the original snapshot; keep it."""
        keep(self.run_index, self.original.task_run_list)

    def set_run_state(
        self, run_id: str, state: StateType, at: datetime | None = None, **updates: Any
    ) -> TaskRun:
        """Move a task run to ``state`` (history appended) and apply other field updates.

        ``at``: when it happened, by the worker's clock (default: now). It is kept between
        the run's last change and now, so a clock skew cannot reverse a history.
        """
        run = self.run(run_id)
        when = self.when(run.state, at)
        updated = run.model_copy(update={"state": run.state.with_state(state, when), **updates})
        self.put(updated)
        return updated

    def when(self, state: State, at: datetime | None) -> datetime:
        """``at`` kept between ``state``'s last change and now (None: now)."""
        if at is None or at >= self.now:
            return self.now
        last = state.histories[-1].date if state.histories else None
        return at if last is None or at > last else last

    def put_fields(self, run: TaskRun, **updates: Any) -> TaskRun:
        """Replace a task run by a copy with ``updates`` and return the copy."""
        updated = run.model_copy(update=updates)
        self.put(updated)
        return updated

    def ancestors(self, run: TaskRun) -> list[TaskRun]:
        """Return the task runs enclosing ``run``, nearest first."""
        chain = []
        parent_id = run.parent_task_run_id
        while parent_id is not None:
            parent = self.find(parent_id)
            if parent is None:
                break
            chain.append(parent)
            parent_id = parent.parent_task_run_id
        return chain

    # ---- execution ---------------------------------------------------------------------

    def set_state(self, state: StateType) -> None:
        """Move the execution to ``state`` (no-op if already there)."""
        if self.state.current is not state:
            self.state = self.state.with_state(state, self.now)
            self.touch()

    def add_timer(self, timer: Timer) -> None:
        """Set a timer (replacing one with the same id)."""
        self.timers = [each for each in self.timers if each.id != timer.id] + [timer]
        self.touch()

    def drop_timer(self, timer_id: str, due: datetime | None = None) -> Timer | None:
        """Remove and return the timer ``timer_id`` (only if due at ``due``, when given)."""
        for timer in self.timers:
            if timer.id == timer_id and (due is None or timer.due == due):
                self.timers.remove(timer)
                self.touch()
                return timer
        return None

    def drop_timers_of(self, run_id: str) -> None:
        """Remove every timer of a task run."""
        kept = [timer for timer in self.timers if timer.task_run_id != run_id]
        if len(kept) != len(self.timers):
            self.timers = kept
            self.touch()

    def reveal(self, variables: dict[str, Any]) -> dict[str, Any]:
        """Variables with SECRET inputs decrypted, for rendering in the engine only."""
        if self.secrets is None:
            return variables
        return self.secrets.reveal(variables)[0]

    def log(self, level: LogLevel, message: str, run: TaskRun | None = None) -> None:
        """Record a log line of the execution (or of one of its task runs)."""
        self.logs.append(
            LogEntry(
                execution_id=self.original.id,
                namespace=self.original.namespace,
                flow_id=self.original.flow_id,
                task_id=run.task_id if run else None,
                task_run_id=run.id if run else None,
                attempt=len(run.attempts) or None if run else None,
                level=level,
                message=message,
                timestamp=self.now,
                source="executor",
            )
        )

    def snapshot(self) -> Execution:
        """Freeze the working copy into the next snapshot (``seq`` + 1)."""
        runs = tuple(self.runs)
        keep(self.run_index, runs)
        split = self.original.task_run_count is not None or len(runs) > WHOLE_UP_TO
        return self.original.model_copy(
            update={
                "task_run_count": len(runs) if split else None,
                "seq": self.original.seq + 1,
                "state": self.state,
                "task_run_list": runs,
                "labels": tuple(self.labels),
                "outputs": self.outputs,
                "timers": tuple(self.timers),
                "metadata": self.metadata,
                "inputs": self.inputs,
            }
        )
