"""The processor's `Sink`: each effect produced to its topic in the current transaction.

Snapshots and task runs are compacted state: only the last of a transaction counts, for
restores and for every reader (``read_committed`` shows a transaction's records at once).
So they are kept until `KafkaSink.flush`, and an execution changed by several events of one
batch (a RUNNING report and its result, say) is encoded and written once.
"""

from __future__ import annotations

from executor.shell import Sink
from orchestrator.kafka import TOPICS, KafkaProducer, partition_for
from orchestrator.models.concurrency import ConcurrencyMessage, FlowSlots, flow_key
from orchestrator.models.execution import Execution, TaskRunRecord, task_run_key
from orchestrator.models.messages import ExecutionCommand, KillNotice, LogEntry, WorkerTask


class KafkaSink(Sink):
    """Routes each effect to its topic and key (see the topic registry)."""

    def __init__(self, producer: KafkaProducer, partitions: int) -> None:
        """Produce with ``producer`` (transactional: the caller begins and commits).

        ``partitions``: the partition count of the co-partitioned execution topics.
        """
        self._send = producer.send
        self._partitions = partitions
        self._snapshots: dict[str, tuple[Execution, bytes | None]] = {}
        self._runs: dict[str, tuple[int, TaskRunRecord | None]] = {}

    def flush(self) -> None:
        """Produce the batch's last snapshot of each execution and of each task run."""
        snapshots, self._snapshots = self._snapshots, {}
        runs, self._runs = self._runs, {}
        for key, (partition, record) in runs.items():
            self._send(TOPICS.task_runs, key, record, partition=partition)
        for execution, wire in snapshots.values():
            if execution.deleted:
                self._send(TOPICS.executions, execution.id, None)
                continue
            if wire is None and execution.task_run_count is not None:
                execution = execution.header()
            self._send(TOPICS.executions, execution.id, execution, encoded=wire)

    def discard(self) -> None:
        """Forget what was not flushed (the transaction is aborted)."""
        self._snapshots.clear()
        self._runs.clear()

    def snapshot(self, execution: Execution, wire: bytes | None) -> None:
        """A new snapshot on ``executions``, at `flush`.

        A deleted execution gets a tombstone, and so does each of its task runs on
        ``task-runs`` when it is a long one.
        """
        self._snapshots[execution.id] = (execution, wire)
        if execution.deleted and execution.task_run_count is not None:
            self.task_runs(execution.id, [], [run.id for run in execution.task_run_list])

    def task_runs(
        self, execution_id: str, records: list[TaskRunRecord], removed: list[str]
    ) -> None:
        """Task runs on ``task-runs``, on their execution's partition, at `flush`.

        The runs of ``removed`` get tombstones.
        """
        partition = partition_for(execution_id, self._partitions)
        for record in records:
            self._runs[task_run_key(execution_id, record.task_run.id)] = (partition, record)
        for run_id in removed:
            self._runs[task_run_key(execution_id, run_id)] = (partition, None)

    def worker_task(self, task: WorkerTask) -> None:
        """A task run on ``worker-tasks``, keyed by task run id."""
        self._send(TOPICS.worker_tasks, task.task_run.id, task)

    def command(self, command: ExecutionCommand) -> None:
        """A command on ``execution-commands``, keyed by its execution."""
        self._send(TOPICS.execution_commands, command.execution_id, command)

    def kill(self, notice: KillNotice) -> None:
        """A kill notice on ``kills``."""
        self._send(TOPICS.kills, notice.execution_id, notice)

    def log(self, entry: LogEntry) -> None:
        """An executor log line on ``logs``."""
        self._send(TOPICS.logs, entry.execution_id, entry)

    def admission(self, message: ConcurrencyMessage) -> None:
        """A slot request or release on ``concurrency-requests``, keyed by its flow."""
        key = flow_key(message.namespace, message.flow_id)
        self._send(TOPICS.concurrency_requests, key, message)

    def slots(self, slots: FlowSlots) -> None:
        """A flow's new slots on the compacted ``concurrency-slots``."""
        self._send(TOPICS.concurrency_slots, flow_key(slots.namespace, slots.flow_id), slots)


__all__ = ["KafkaSink"]
