"""What the executor counts: executions started and ended, task runs ended, batches.

Observations are gathered while a batch is processed and published only once its
transaction has committed, so an aborted and redone batch is counted once. Each
observation looks at one event's before and after snapshots (their states only), so the
cost does not grow with the execution's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrator.management.metrics import (
    EXECUTION_DURATION,
    EXECUTION_ENDED,
    EXECUTION_STARTED,
    EXECUTOR_BATCH_SIZE,
    EXECUTOR_TRANSACTION_DURATION,
    TASKRUN_ENDED,
)
from orchestrator.models.execution import Execution
from orchestrator.models.state import StateType


@dataclass
class BatchMetrics:
    """The metrics of one batch, published by `publish` after its commit."""

    started: list[tuple[str, str]] = field(default_factory=list)
    ended: list[tuple[str, str, str, float]] = field(default_factory=list)
    taskruns: list[tuple[str, str, str]] = field(default_factory=list)

    def observe(self, before: Execution | None, after: Execution | None) -> None:
        """Note what changed between two snapshots of one execution."""
        if after is None or after.deleted:
            return
        if before is None:
            self.started.append((after.namespace, after.flow_id))
        state = after.state.current
        if state.is_terminated and (before is None or not before.state.current.is_terminated):
            duration = after.state.duration
            seconds = duration.total_seconds() if duration is not None else 0.0
            self.ended.append((after.namespace, after.flow_id, state.value, seconds))

    def task_run_ended(self, execution: Execution | None, state: StateType) -> None:
        """A worker reported the end of a task run attempt of ``execution``."""
        if execution is not None and state.is_terminated:
            self.taskruns.append((execution.namespace, execution.flow_id, state.value))

    def publish(self, records: int, transaction_seconds: float) -> None:
        """The batch committed: count everything it observed."""
        if records:
            EXECUTOR_BATCH_SIZE.observe(records)
        EXECUTOR_TRANSACTION_DURATION.observe(transaction_seconds)
        for namespace, flow_id in self.started:
            EXECUTION_STARTED.labels(namespace, flow_id).inc()
        for namespace, flow_id, state, seconds in self.ended:
            EXECUTION_ENDED.labels(namespace, flow_id, state).inc()
            EXECUTION_DURATION.labels(namespace, flow_id, state).observe(seconds)
        for namespace, flow_id, state in self.taskruns:
            TASKRUN_ENDED.labels(namespace, flow_id, state).inc()


__all__ = ["BatchMetrics"]
