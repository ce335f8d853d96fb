"""The processor's `Sink`: each effect produced to its topic in the current transaction."""

from __future__ import annotations

from executor.shell import Sink
from orchestrator.kafka import TOPICS, KafkaProducer
from orchestrator.models.concurrency import ConcurrencyMessage, FlowSlots, flow_key
from orchestrator.models.execution import Execution
from orchestrator.models.messages import ExecutionCommand, KillNotice, LogEntry, WorkerTask


class KafkaSink(Sink):
    """Routes each effect to its topic and key (see the topic registry)."""

    def __init__(self, producer: KafkaProducer) -> None:
        """Produce with ``producer`` (transactional: the caller begins and commits)."""
        self._send = producer.send

    def snapshot(self, execution: Execution, wire: bytes | None) -> None:
        """A new snapshot on ``executions`` (a tombstone for a deleted execution)."""
        if execution.deleted:
            self._send(TOPICS.executions, execution.id, None)
        else:
            self._send(TOPICS.executions, execution.id, execution, encoded=wire)

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
