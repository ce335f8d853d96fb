"""A long execution's task runs, put back from the compacted ``task-runs`` topic.

An execution with more task runs than fit comfortably in one message writes only its header
to ``executions`` (``taskRunCount`` set, ``taskRunList`` empty) and each changed run to
``task-runs``, on the execution's partition (see ``executor/engine/wire.py``). Readers that
need the whole execution (the control plane's checks, the CLI's follow, the API's views)
complete a header here; a whole snapshot is returned as it is.
"""

from __future__ import annotations

import logging

from orchestrator.kafka.admin import describe_topics
from orchestrator.kafka.errors import DeserializationError
from orchestrator.kafka.reader import read_topic_to_end
from orchestrator.kafka.records import Record
from orchestrator.kafka.topics import TOPICS, partition_for
from orchestrator.models.execution import Execution, TaskRunRecord, task_run_key
from orchestrator.settings import KafkaSettings, KestrelSettings

log = logging.getLogger("kestrel.kafka")


def read_task_runs(
    settings: KafkaSettings | KestrelSettings,
    execution_id: str,
    partition: int,
    timeout: float = 60.0,
) -> list[TaskRunRecord]:
    """The latest record of each task run of ``execution_id`` (removed runs left out).

    Only the execution's partition is read, and only its keys are decoded.
    """

    def unreadable(record: Record, error: DeserializationError) -> None:
        # The executor wrote it; a reader can only say so and go on with the others.
        log.warning("unreadable task run %s: %s", record.key_str, error)

    found = read_topic_to_end(
        settings,
        TOPICS.task_runs,
        partitions=[partition],
        timeout=timeout,
        on_unreadable=unreadable,
        key_prefix=task_run_key(execution_id, ""),
    )
    return [record for record in found.values() if record.execution_id == execution_id]


def complete(
    settings: KafkaSettings | KestrelSettings,
    execution: Execution,
    partitions: int | None = None,
) -> Execution:
    """``execution`` with every task run: a header gets its runs back from ``task-runs``.

    Args:
        settings: Kafka settings.
        execution: A snapshot read from ``executions``.
        partitions: The partition count of the execution topics (described when None).
    """
    if execution.is_whole:
        return execution
    if partitions is None:
        (description,) = describe_topics(settings, [TOPICS.executions])
        partitions = description.partitions or 1
    partition = partition_for(execution.id, partitions)
    return execution.with_task_runs(read_task_runs(settings, execution.id, partition))


__all__ = ["complete", "read_task_runs"]
