"""What a change of an execution writes to Kafka: bounded by the change, not the execution.

A short execution (up to `WHOLE_UP_TO` task runs) writes its whole snapshot to
``executions`` at each change, as always. A long one writes its header (state, inputs,
outputs, timers: everything but the task runs) to ``executions`` and only the task runs the
change added or changed to ``task-runs``; its final snapshot is whole again when it fits in
a message, for the readers that wait for the end. The executor keeps every execution whole
in memory; a restore puts the runs back from ``task-runs``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from executor.engine.work import Work
from orchestrator.models.execution import Execution, TaskRunRecord


@dataclass
class Written:
    """The records of one change.

    Attributes:
        wire: the snapshot's wire form for ``executions`` (whole, or the header only).
        whole: whether ``wire`` carries every task run.
        task_runs: the records for ``task-runs``.
        removed: ids of the task runs to delete from ``task-runs``.
    """

    wire: bytes
    whole: bool
    task_runs: list[TaskRunRecord] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def largest(self) -> int:
        """Size of the largest record (the run records are estimated from their run)."""
        sizes = [len(self.wire)]
        sizes += [len(record.to_wire()) for record in self.task_runs]
        return max(sizes)


def written(work: Work, snapshot: Execution, max_bytes: int) -> Written:
    """What ``snapshot``, the result of ``work``, writes to Kafka."""
    if snapshot.task_run_count is None:
        return Written(snapshot.to_wire(), whole=True)
    every = work.created or work.original.task_run_count is None
    ids = [run.id for run in work.runs] if every else list(work.changed_runs)
    positions = work.run_index.positions
    records = run_records(snapshot, [positions[run_id] for run_id in ids if run_id in positions])
    if snapshot.state.current.is_terminated:
        whole = snapshot.to_wire()
        if len(whole) <= max_bytes:
            return Written(whole, True, records, list(work.removed_runs))
    return Written(snapshot.header().to_wire(), False, records, list(work.removed_runs))


def run_records(snapshot: Execution, positions: Iterable[int]) -> list[TaskRunRecord]:
    """The ``task-runs`` records of ``snapshot``'s runs at ``positions``."""
    return [
        TaskRunRecord(
            execution_id=snapshot.id,
            flow_revision=snapshot.flow_revision,
            seq=snapshot.seq,
            position=position,
            task_run=snapshot.task_run_list[position],
        )
        for position in positions
    ]


__all__ = ["Written", "run_records", "written"]
