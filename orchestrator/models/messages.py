"""Messages that cross Kafka, other than the execution snapshot (see ``execution.py``).

Every message has a ``type`` naming its kind and a ``version`` of its shape, so a reader can
refuse what it does not understand and ops tools (kcat) show what they look at.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field

from orchestrator.models.base import KestrelModel
from orchestrator.models.execution import Execution, ExecutionTrigger, ParentLink, TaskRun
from orchestrator.models.labels import Labels
from orchestrator.models.log_level import LogLevel
from orchestrator.models.state import StateType, utcnow
from orchestrator.models.trigger_parts import BackfillProgress, PreconditionWindow


class Message(KestrelModel):
    """Common fields of every wire message."""

    type: str
    version: int = 1


class FlowRecord(Message):
    """A flow as stored on ``flows`` (latest) and ``flow-revisions`` (every revision)."""

    type: Literal["flow"] = "flow"
    namespace: str
    id: str
    revision: int = Field(ge=1)
    source: str
    flow: dict[str, Any]
    deleted: bool = False
    updated: datetime = Field(default_factory=utcnow)


# ---- execution-commands -------------------------------------------------------------------


class CreateExecution(Message):
    """Create an execution of a flow (from the API, the CLI, a trigger or a parent flow)."""

    type: Literal["create"] = "create"
    execution_id: str
    namespace: str
    flow_id: str
    flow_revision: int | None = None
    # None: created with no inputs at all (required inputs not enforced, defaults apply).
    inputs: dict[str, Any] | None = None
    labels: Labels = ()
    trigger: ExecutionTrigger | None = None
    parent: ParentLink | None = None
    schedule_date: datetime | None = None
    created: datetime = Field(default_factory=utcnow)
    # A replay or a flow-level retry starts from this prepared snapshot instead of nothing.
    initial: Execution | None = None


class KillExecution(Message):
    """Kill a running execution: running task runs get KILLING, nothing new starts."""

    type: Literal["kill"] = "kill"
    execution_id: str
    reason: str | None = None


class ResumeExecution(Message):
    """Resume a PAUSED task run (all paused ones when ``task_run_id`` is None).

    It never starts a QUEUED execution: only the flow's admission owner does (`SlotDecision`).
    """

    type: Literal["resume"] = "resume"
    execution_id: str
    task_run_id: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)


class RestartExecution(Message):
    """Restart a failed execution from its failed task runs."""

    type: Literal["restart"] = "restart"
    execution_id: str


class ReplayExecution(Message):
    """Replay an execution from ``task_run_id`` (None: from the start) as ``new_execution_id``."""

    type: Literal["replay"] = "replay"
    execution_id: str
    task_run_id: str | None = None
    new_execution_id: str


class SetExecutionLabels(Message):
    """Replace the labels of an ended execution (``system.*`` ones are kept)."""

    type: Literal["labels"] = "labels"
    execution_id: str
    labels: Labels = ()


class DeleteExecution(Message):
    """Delete an execution (its snapshot becomes a tombstone)."""

    type: Literal["delete"] = "delete"
    execution_id: str


class ChildEnded(Message):
    """A subflow's execution ended: sent to the parent execution's key."""

    type: Literal["child-ended"] = "child-ended"
    execution_id: str
    task_run_id: str
    child_execution_id: str
    state: StateType
    outputs: dict[str, Any] = Field(default_factory=dict)


class TimerFired(Message):
    """A timer of the execution is due (retry backoff, Pause delay, Sleep, timeout)."""

    type: Literal["timer"] = "timer"
    execution_id: str
    timer_id: str
    task_run_id: str | None = None
    due: datetime


class WorkerLost(Message):
    """The worker running an attempt was declared dead: the attempt is lost, run it again."""

    type: Literal["worker-lost"] = "worker-lost"
    execution_id: str
    task_run_id: str
    attempt: int = Field(ge=1)
    worker_id: str


class SlotOutcome(StrEnum):
    """The admission owner's answer to a request."""

    GRANTED = "GRANTED"
    QUEUED = "QUEUED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"


class SlotDecision(Message):
    """The answer to a `SlotRequest`, sent to the execution's key on ``execution-commands``.

    It is distinct from a Resume on purpose: releasing a QUEUED execution must never pass a
    manual-approval Pause.
    """

    type: Literal["slot"] = "slot"
    execution_id: str
    outcome: SlotOutcome
    limit: int = Field(ge=1)


ExecutionCommand = Annotated[
    CreateExecution
    | KillExecution
    | ResumeExecution
    | RestartExecution
    | ReplayExecution
    | DeleteExecution
    | SetExecutionLabels
    | ChildEnded
    | TimerFired
    | WorkerLost
    | SlotDecision,
    Field(discriminator="type"),
]
"""Any message of ``execution-commands``."""


# ---- workers -----------------------------------------------------------------------------


class WorkerTask(Message):
    """A task run for a worker: the task definition and what rendering it needs."""

    type: Literal["worker-task"] = "worker-task"
    task_run: TaskRun
    attempt: int = Field(ge=1)
    task: dict[str, Any]
    flow_revision: int
    context: dict[str, Any] = Field(default_factory=dict)


class TaskFailure(KestrelModel):
    """Why a task run failed: an error type, a message and whether a retry may help."""

    error_type: str
    message: str
    retryable: bool = True


class WorkerTaskResult(Message):
    """What a worker reports about one attempt of a task run (RUNNING, then its end)."""

    type: Literal["worker-result"] = "worker-result"
    execution_id: str
    task_run_id: str
    attempt: int = Field(ge=1)
    state: StateType
    worker_id: str
    outputs: dict[str, Any] | None = None
    failure: TaskFailure | None = None
    at: datetime = Field(default_factory=utcnow)


class RunningTaskRun(KestrelModel):
    """A task run attempt a worker is running."""

    execution_id: str
    task_run_id: str
    attempt: int


class WorkerInstance(Message):
    """A worker's heartbeat: who it is and what it runs."""

    type: Literal["worker-heartbeat"] = "worker-heartbeat"
    worker_id: str
    instance_id: str
    hostname: str
    pid: int
    slots: int = Field(ge=1)
    started: datetime
    last_seen: datetime = Field(default_factory=utcnow)
    status: Literal["RUNNING", "TERMINATING", "STOPPED"] = "RUNNING"
    running: list[RunningTaskRun] = Field(default_factory=list)


class ServiceInstance(Message):
    """One incarnation (process start) of a transactional service instance.

    Kept in the compacted ``instances`` topic, keyed ``role/instance id``: the next
    incarnation of the same instance reads it to fence this one's transactional id.
    """

    type: Literal["service-instance"] = "service-instance"
    role: str
    instance_id: str
    incarnation: str
    transactional_id: str
    hostname: str
    pid: int
    started: datetime = Field(default_factory=utcnow)


class KillNotice(Message):
    """Tells every worker to stop the task runs of an execution (all when the list is empty)."""

    type: Literal["kill"] = "kill"
    execution_id: str
    task_run_ids: list[str] = Field(default_factory=list)


# ---- scheduler, logs, metrics, dead letters -----------------------------------------------


class TriggerState(Message):
    """The scheduler's state of one trigger: when it fires next, and what it started."""

    type: Literal["trigger-state"] = "trigger-state"
    namespace: str
    flow_id: str
    trigger_id: str
    flow_revision: int
    next_date: datetime | None = None
    last_date: datetime | None = None
    # The execution the trigger is locked to (locked-by): no next slot until it ends.
    execution_id: str | None = None
    backfill_until: datetime | None = None
    disabled: bool = False
    updated: datetime = Field(default_factory=utcnow)
    # Scheduler fields (orchestrator/scheduler): the trigger's type, what its next date was
    # computed from (a changed cron starts afresh), the last execution it started, how many
    # it started, a running backfill, and a flow trigger's preconditions window.
    trigger_type: str | None = None
    fingerprint: str | None = None
    last_execution_id: str | None = None
    fired: int = 0
    backfill: BackfillProgress | None = None
    window: PreconditionWindow | None = None


class LogEntry(Message):
    """One log line of an execution, from a worker or the executor."""

    type: Literal["log"] = "log"
    execution_id: str
    namespace: str
    flow_id: str
    task_id: str | None = None
    task_run_id: str | None = None
    attempt: int | None = None
    level: LogLevel = LogLevel.INFO
    message: str
    timestamp: datetime = Field(default_factory=utcnow)
    source: str | None = None


class MetricEntry(Message):
    """One metric point emitted by a task run (a counter or a timer)."""

    type: Literal["metric"] = "metric"
    execution_id: str
    namespace: str
    flow_id: str
    task_id: str | None = None
    task_run_id: str | None = None
    name: str
    metric_type: Literal["counter", "timer"] = "counter"
    value: float
    tags: dict[str, str] = Field(default_factory=dict)
    timestamp: datetime = Field(default_factory=utcnow)


class DeadLetter(Message):
    """A message that could not be processed, with where it came from and why."""

    type: Literal["dead-letter"] = "dead-letter"
    topic: str
    partition: int
    offset: int
    key: str | None = None
    value: str | None = None
    value_encoding: Literal["utf-8", "base64"] = "utf-8"
    error: str
    service: str
    failed_at: datetime = Field(default_factory=utcnow)
