"""Following one execution on Kafka: its snapshots and log lines, from a point in time on.

Each follower reads only the partition its execution is keyed to, without a group, in a
thread of the API's pool (the confluent-kafka consumer blocks); it is closed when the
request ends, the client gone or not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orchestrator.kafka import TOPICS, DeserializationError, TopicTail, describe_topics
from orchestrator.kafka.topics import partition_for
from orchestrator.models.execution import Execution
from orchestrator.models.messages import LogEntry
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings


def settled(execution: Execution) -> bool:
    """Ended, or PAUSED waiting for a resume (no timer will wake it)."""
    state = execution.state.current
    if state is StateType.RETRIED:
        return False
    return state.is_terminated or (state is StateType.PAUSED and not execution.timers)


class Partitions:
    """Partition counts of ``executions`` and ``logs``, read once."""

    def __init__(self, settings: KestrelSettings) -> None:
        """Describe the topics now."""
        executions, logs = describe_topics(settings, [TOPICS.executions, TOPICS.logs])
        self.executions = executions.partitions or 1
        self.logs = logs.partitions or 1


class ExecutionWatch:
    """New snapshots (and optionally log lines) of one execution on Kafka."""

    open_count = 0
    """Watches not closed yet, in this process (a leak shows here)."""

    def __init__(
        self,
        settings: KestrelSettings,
        partitions: Partitions,
        execution_id: str,
        *,
        snapshots: bool = True,
        logs: bool = False,
        logs_since: datetime | None = None,
    ) -> None:
        """Start at the topics' current ends (the logs at ``logs_since`` when given)."""
        self.execution_id = execution_id
        self._tails: list[TopicTail] = []
        self._closed = False
        ExecutionWatch.open_count += 1
        if snapshots:
            self._tails.append(
                TopicTail(
                    settings,
                    [TOPICS.executions],
                    from_beginning=False,
                    partitions={
                        TOPICS.executions.logical: [
                            partition_for(execution_id, partitions.executions)
                        ]
                    },
                )
            )
        if logs:
            self._tails.append(
                TopicTail(
                    settings,
                    [TOPICS.logs],
                    from_beginning=False,
                    since=logs_since,
                    partitions={
                        TOPICS.logs.logical: [partition_for(execution_id, partitions.logs)]
                    },
                )
            )

    def poll(self, timeout: float = 0.5) -> list[tuple[int, int, Any]]:
        """``(partition, offset, value)`` of this execution's new records, oldest first."""
        found: list[tuple[int, int, Any]] = []
        for tail in self._tails:
            wait = timeout / len(self._tails)
            for record in tail.poll(timeout=wait):
                try:
                    value = record.decoded(tail.topics.spec_of(record.topic))
                except DeserializationError:
                    continue  # another execution's problem; the indexer dead-letters it
                if isinstance(value, Execution | LogEntry) and self._ours(value):
                    found.append((record.partition, record.offset, value))
        return found

    def _ours(self, value: Execution | LogEntry) -> bool:
        if isinstance(value, Execution):
            return value.id == self.execution_id
        return value.execution_id == self.execution_id

    def close(self) -> None:
        """Stop reading."""
        if self._closed:
            return
        self._closed = True
        ExecutionWatch.open_count -= 1
        for tail in self._tails:
            tail.close()
        self._tails = []
