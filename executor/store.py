"""The executor's local state: the executions of its partitions, and their timers."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from datetime import datetime

from executor.workers import Attempt
from orchestrator.models.execution import Execution
from orchestrator.models.state import StateType


class ExecutionStore:
    """Executions of the assigned partitions (restored from ``executions``) and a timer heap.

    The heap may hold timers that were since removed or rescheduled; `due` checks each one
    against the current snapshot, so stale entries cost nothing but a skip.
    """

    def __init__(self) -> None:
        """Start empty."""
        self._executions: dict[str, Execution] = {}
        self._partition_of: dict[str, int] = {}
        self._timers: list[tuple[datetime, str, str]] = []

    def __len__(self) -> int:
        return len(self._executions)

    def get(self, execution_id: str) -> Execution | None:
        """Return the latest snapshot of an execution of this instance, or None."""
        return self._executions.get(execution_id)

    def put(self, execution: Execution, partition: int) -> None:
        """Keep a new snapshot (a deleted execution is forgotten) and index its timers."""
        if execution.deleted:
            self._executions.pop(execution.id, None)
            self._partition_of.pop(execution.id, None)
            return
        self._executions[execution.id] = execution
        self._partition_of[execution.id] = partition
        for timer in execution.timers:
            heapq.heappush(self._timers, (timer.due, execution.id, timer.id))

    def load(self, executions: Iterable[Execution], partition: int) -> None:
        """Restore the executions of a newly assigned partition."""
        for execution in executions:
            self.put(execution, partition)

    def drop_partitions(self, partitions: set[int]) -> None:
        """Forget the executions of revoked partitions."""
        for execution_id in [e for e, p in self._partition_of.items() if p in partitions]:
            self._executions.pop(execution_id, None)
            self._partition_of.pop(execution_id, None)

    def due(self, now: datetime) -> list[tuple[str, str, datetime]]:
        """Pop the timers due at ``now`` that are still set: (execution id, timer id, due)."""
        fired = []
        while self._timers and self._timers[0][0] <= now:
            due, execution_id, timer_id = heapq.heappop(self._timers)
            execution = self._executions.get(execution_id)
            if execution is None:
                continue
            if any(timer.id == timer_id and timer.due == due for timer in execution.timers):
                fired.append((execution_id, timer_id, due))
        return fired

    def running_count(self, namespace: str, flow_id: str) -> int:
        """Executions of a flow that are RUNNING or PAUSED (on this instance's partitions)."""
        return sum(
            1
            for execution in self._executions.values()
            if execution.flow_id == flow_id
            and execution.namespace == namespace
            and execution.state.current in (StateType.RUNNING, StateType.PAUSED)
        )

    def oldest_queued(self, namespace: str, flow_id: str) -> Execution | None:
        """The QUEUED execution of a flow that has waited longest."""
        queued = [
            execution
            for execution in self._executions.values()
            if execution.flow_id == flow_id
            and execution.namespace == namespace
            and execution.state.current is StateType.QUEUED
        ]
        return min(queued, key=lambda e: e.state.histories[0].date, default=None)

    def unfinished_attempts(self) -> Iterator[Attempt]:
        """Attempts a worker took and has not finished (in killed executions too)."""
        for execution in self._executions.values():
            if (
                execution.state.current.is_terminated
                and execution.state.current is not StateType.KILLED
            ):
                continue
            for run in execution.task_run_list:
                if not run.attempts:
                    continue
                last = run.attempts[-1]
                if last.worker_id is None or last.state.current.is_terminated:
                    continue
                yield Attempt(
                    execution_id=execution.id,
                    task_run_id=run.id,
                    number=len(run.attempts),
                    worker_id=last.worker_id,
                    since=last.state.histories[-1].date,
                )
