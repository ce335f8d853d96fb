"""The executor's local state: executions of its partitions, their timers, and flow slots.

Live executions are kept as models (the hot store). An execution that ended, with no
attempt still out at a worker, is kept only as its compressed wire form (the cold store):
it costs a few hundred bytes instead of its object graph, and nothing that scans live
executions (heartbeat judgements) visits it. A late event for it (a restart, a replay, a
delete, a stale result) decodes it again.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from executor.timers import TimerIndex
from orchestrator.models.concurrency import FlowSlots
from orchestrator.models.execution import Execution
from orchestrator.models.state import StateType


@dataclass(frozen=True)
class Attempt:
    """An unfinished attempt, as the executor's store knows it."""

    execution_id: str
    task_run_id: str
    number: int
    worker_id: str
    since: datetime
    """When the worker reported it RUNNING."""


def _open_attempts(execution: Execution) -> Iterator[Attempt]:
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


def _is_settled(execution: Execution) -> bool:
    """Ended, and nothing out at a worker that the heartbeat monitor must still watch."""
    return execution.state.current.is_terminated and not any(_open_attempts(execution))


class ExecutionStore:
    """Executions of the assigned partitions, their timers, and the slots of owned flows."""

    def __init__(self) -> None:
        """Start empty."""
        self._hot: dict[str, Execution] = {}
        self._cold: dict[str, bytes] = {}
        self._partition_of: dict[str, int] = {}
        self._slots: dict[str, FlowSlots] = {}
        self._slot_partition: dict[str, int] = {}
        self.timers = TimerIndex()

    def __len__(self) -> int:
        return len(self._hot) + len(self._cold)

    @property
    def live(self) -> int:
        """How many executions are in the hot store."""
        return len(self._hot)

    def get(self, execution_id: str) -> Execution | None:
        """Return the latest snapshot of an execution of this instance, or None."""
        found = self._hot.get(execution_id)
        if found is not None:
            return found
        packed = self._cold.get(execution_id)
        if packed is None:
            return None
        return Execution.model_validate_json(zlib.decompress(packed))

    def put(self, execution: Execution, partition: int, wire: bytes | None = None) -> None:
        """Keep a new snapshot (a deleted execution is forgotten) and index its timers.

        Args:
            execution: The snapshot.
            partition: Its partition (forgotten with the partition when revoked).
            wire: Its wire form when already encoded (spares an encode on eviction).
        """
        execution_id = execution.id
        if execution.deleted:
            self.forget(execution_id)
            return
        self._partition_of[execution_id] = partition
        self.timers.update(execution_id, execution.timers)
        if _is_settled(execution):
            self._hot.pop(execution_id, None)
            self._cold[execution_id] = zlib.compress(wire or execution.to_wire(), 1)
        else:
            self._cold.pop(execution_id, None)
            self._hot[execution_id] = execution

    def load(self, executions: Iterable[Execution], partition: int) -> None:
        """Restore the executions of a newly assigned partition."""
        for execution in executions:
            self.put(execution, partition)

    def forget(self, execution_id: str) -> None:
        """Drop an execution and its timers."""
        self._hot.pop(execution_id, None)
        self._cold.pop(execution_id, None)
        self._partition_of.pop(execution_id, None)
        self.timers.update(execution_id, ())

    def drop_partitions(self, partitions: set[int]) -> None:
        """Forget the executions and flow slots of revoked partitions."""
        for execution_id in [e for e, p in self._partition_of.items() if p in partitions]:
            self.forget(execution_id)
        for key in [k for k, p in self._slot_partition.items() if p in partitions]:
            self._slots.pop(key, None)
            self._slot_partition.pop(key, None)

    def due(self, now: datetime) -> list[tuple[str, str, datetime]]:
        """Timers due at ``now`` not reported before: (execution id, timer id, due)."""
        return self.timers.due(now)

    # ---- flow slots ---------------------------------------------------------------------

    def slots(self, key: str) -> FlowSlots | None:
        """Return the slots of the flow ``key`` (``namespace/flow``) owned here, or None."""
        return self._slots.get(key)

    def put_slots(self, key: str, slots: FlowSlots, partition: int) -> None:
        """Keep the new slots of an owned flow."""
        self._slots[key] = slots
        self._slot_partition[key] = partition

    # ---- worker liveness ----------------------------------------------------------------

    def unfinished_attempts(self) -> Iterator[Attempt]:
        """Attempts a worker took and has not finished (in killed executions too)."""
        for execution in self._hot.values():
            if (
                execution.state.current.is_terminated
                and execution.state.current is not StateType.KILLED
            ):
                continue
            yield from _open_attempts(execution)


__all__ = ["Attempt", "ExecutionStore"]
