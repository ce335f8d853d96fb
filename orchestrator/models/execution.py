"""Executions and task runs: the state the executor advances and snapshots to Kafka."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from orchestrator.models.base import KestrelModel
from orchestrator.models.labels import Labels
from orchestrator.models.state import State, StateType

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def new_id() -> str:
    """Return a new random id: a UUID4 written in base 62 (22 characters, as Kestra's)."""
    number = uuid.uuid4().int
    digits = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(_BASE62[remainder])
    return "".join(reversed(digits)).rjust(22, "0")


class TaskRunAttempt(KestrelModel):
    """One attempt at running a task run, with its own state history."""

    state: State
    worker_id: str | None = None


class TaskRun(KestrelModel):
    """One run of one task in one execution (a task in a loop has one per loop value)."""

    id: str
    execution_id: str
    namespace: str
    flow_id: str
    task_id: str
    parent_task_run_id: str | None = None
    value: str | None = None
    iteration: int | None = None
    attempts: tuple[TaskRunAttempt, ...] = ()
    outputs: dict[str, Any] | None = None
    state: State = Field(default_factory=State.of)
    # The values a loop task (ForEach...) resolved when it started, so later passes of the
    # engine need not render them again.
    loop_values: tuple[str, ...] | None = None
    # Why the task run failed (from the worker, or from the engine for flowable tasks).
    error: str | None = None

    @property
    def attempt_count(self) -> int:
        """How many attempts were made (at least 1 once the task run started)."""
        return len(self.attempts)

    def with_state(self, state: StateType, at: datetime | None = None) -> TaskRun:
        """Return this task run in ``state``."""
        return self.model_copy(update={"state": self.state.with_state(state, at)})


class TaskRunRecord(KestrelModel):
    """One task run of a long execution on the compacted ``task-runs`` topic.

    Keyed ``<execution id>/<task run id>`` (`task_run_key`) and written to the partition of
    its execution (co-partitioned with ``executions``), in the same transaction as the
    execution's snapshot; so what a change writes is bounded by the change, not by the
    execution, and no execution is capped by the size of one message.
    """

    type: Literal["task-run"] = "task-run"
    version: int = 1
    execution_id: str
    flow_revision: int
    seq: int
    """The ``seq`` of the execution's snapshot written with it."""
    position: int
    """Its place in the execution's task-run list (creation order)."""
    task_run: TaskRun


def task_run_key(execution_id: str, task_run_id: str) -> str:
    """The key of a task run on ``task-runs``."""
    return f"{execution_id}/{task_run_id}"


class ExecutionTrigger(KestrelModel):
    """What started the execution: a trigger id and type, with its variables."""

    id: str
    type: str
    variables: dict[str, Any] = Field(default_factory=dict)


class ParentLink(KestrelModel):
    """For a subflow's execution: the parent execution and task run waiting for it."""

    execution_id: str
    task_run_id: str
    namespace: str
    flow_id: str
    flow_revision: int | None = None


class TimerKind(StrEnum):
    """What a timer of an execution does when it is due."""

    RETRY = "RETRY"
    PAUSE_DELAY = "PAUSE_DELAY"
    PAUSE_TIMEOUT = "PAUSE_TIMEOUT"
    SLEEP = "SLEEP"
    SLA = "SLA"
    SCHEDULE = "SCHEDULE"
    NEW_EXECUTION = "NEW_EXECUTION"
    WAIT_FOR = "WAIT_FOR"


class Timer(KestrelModel):
    """A pending timer of an execution: the executor fires it as a TimerFired command."""

    id: str
    kind: TimerKind
    due: datetime
    task_run_id: str | None = None
    sla_id: str | None = None


class ExecutionMetadata(KestrelModel):
    """Bookkeeping across flow-level retries: which attempt this is and when the first began."""

    attempt_number: int = 1
    original_created_date: datetime | None = None


class Execution(KestrelModel):
    """The state of one run of a flow; the executor writes a snapshot per change (``seq``)."""

    type: Literal["execution"] = "execution"
    version: int = 1
    id: str
    namespace: str
    flow_id: str
    flow_revision: int
    seq: int = 0
    state: State = Field(default_factory=State.of)
    task_run_list: tuple[TaskRun, ...] = ()
    # None when the execution was created with no inputs at all (defaults still apply).
    inputs: dict[str, Any] | None = None
    outputs: dict[str, Any] = Field(default_factory=dict)
    variables: dict[str, Any] = Field(default_factory=dict)
    labels: Labels = ()
    trigger: ExecutionTrigger | None = None
    parent: ParentLink | None = None
    parent_id: str | None = None
    original_id: str | None = None
    schedule_date: datetime | None = None
    metadata: ExecutionMetadata = Field(default_factory=ExecutionMetadata)
    timers: tuple[Timer, ...] = ()
    deleted: bool = False
    task_run_count: int | None = None
    """Set once the execution's task runs live on the ``task-runs`` topic (a long execution):
    how many it has. A snapshot on ``executions`` then carries its task runs only when it
    says so (a final one that fits in a message); otherwise ``taskRunList`` is empty and
    the runs are the execution's records on ``task-runs``. None: every snapshot is whole."""

    @property
    def is_whole(self) -> bool:
        """Whether this snapshot carries every task run of the execution."""
        return self.task_run_count is None or len(self.task_run_list) == self.task_run_count

    def header(self) -> Execution:
        """This snapshot without its task runs: what ``executions`` gets for a long one."""
        return self.model_copy(update={"task_run_list": ()})

    def with_task_runs(self, records: Iterable[TaskRunRecord]) -> Execution:
        """This header with its task runs from ``task-runs`` put back, in creation order."""
        ordered = sorted(records, key=lambda record: record.position)
        return self.model_copy(update={"task_run_list": tuple(r.task_run for r in ordered)})

    def find_task_run(self, task_run_id: str) -> TaskRun | None:
        """Return the task run with ``task_run_id``, or None."""
        return next((run for run in self.task_run_list if run.id == task_run_id), None)

    def task_runs_of(self, task_id: str) -> list[TaskRun]:
        """Return every task run of ``task_id`` (several for a task inside a loop)."""
        return [run for run in self.task_run_list if run.task_id == task_id]
