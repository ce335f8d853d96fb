"""What the engine decides: the new snapshot and everything to emit with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from orchestrator.models.concurrency import ConcurrencyMessage
from orchestrator.models.execution import Execution, TaskRunRecord
from orchestrator.models.flow import Flow
from orchestrator.models.messages import ExecutionCommand, KillNotice, LogEntry, WorkerTask
from orchestrator.secrets import SecretCodec


@dataclass
class Decision:
    """The outcome of applying one event to one execution.

    Attributes:
        execution: the new snapshot (its ``seq`` one more than before), or None when the
            event changed nothing (a duplicate, a stale result, an unknown execution).
        worker_tasks: task runs for workers to run.
        commands: commands for other executions (a subflow's creation, a parent's
            notification, a replay) or for this one.
        kills: kill notices for the workers running task runs of this execution.
        logs: log lines written by the engine itself.
        admission: slot requests and releases for the admission owner of the execution's
            flow (flows with a concurrency limit only).
        execution_wire: ``execution``'s wire form when the engine already serialised it (to
            check its size), so that it is not serialised twice; None otherwise. For a long
            execution (``task_run_count`` set) it may be the header only.
        whole: whether ``execution_wire`` carries every task run.
        task_runs: the task runs this event added or changed, for ``task-runs`` (long
            executions only; a short one's snapshot carries its runs).
        removed_task_runs: ids of the task runs removed (a restart), for tombstones.
    """

    execution: Execution | None = None
    worker_tasks: list[WorkerTask] = field(default_factory=list)
    commands: list[ExecutionCommand] = field(default_factory=list)
    kills: list[KillNotice] = field(default_factory=list)
    logs: list[LogEntry] = field(default_factory=list)
    admission: list[ConcurrencyMessage] = field(default_factory=list)
    execution_wire: bytes | None = field(default=None, repr=False, compare=False)
    whole: bool = True
    task_runs: list[TaskRunRecord] = field(default_factory=list)
    removed_task_runs: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether there is a new snapshot to write."""
        return self.execution is not None


class Environment(Protocol):
    """Read-only facts the engine may consult; the shell around it provides them."""

    def flow(self, namespace: str, flow_id: str, revision: int | None = None) -> Flow | None:
        """Return the flow (its latest revision when ``revision`` is None), or None."""


@dataclass(frozen=True)
class EngineSettings:
    """Limits and knobs of the engine.

    Attributes:
        max_snapshot_bytes: a snapshot larger than this fails its execution rather than
            blocking the pipeline (Kafka refuses messages over its limit, 1 MiB by default).
        secrets: the codec of SECRET inputs.
    """

    max_snapshot_bytes: int = 1_000_000
    secrets: SecretCodec | None = None
    """Encrypts SECRET inputs; None leaves them in clear (tests of pure logic only)."""
