"""Tail one execution's log lines on Kafka until the execution ends (``kestrel logs -f``).

Only the two partitions that hold the execution are read: its key's partition of ``logs`` and
of ``executions``, from shortly before the execution started (``offsets_for_times``). Lines
already printed from Elasticsearch are recognised by their Kafka coordinates, which the
indexer stores in every log document, so nothing is printed twice and nothing is missed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import confluent_kafka

from orchestrator.kafka import (
    TOPICS,
    DeserializationError,
    KafkaConsumer,
    Record,
    TopicError,
    TopicPartition,
    from_confluent,
    partition_for,
)
from orchestrator.models.execution import Execution
from orchestrator.models.messages import LogEntry
from orchestrator.settings import KestrelSettings

LOOK_BACK = timedelta(minutes=1)
"""How long before the execution's start reading begins (clocks of producers differ)."""

UNKNOWN_START = timedelta(hours=1)
"""How far back to read when the execution is not indexed yet."""

QUIET = 1.0
"""Seconds without new lines after the execution ended before the tail stops."""


class LogTail:
    """Reads the partitions of one execution on ``logs`` and ``executions``."""

    def __init__(
        self, settings: KestrelSettings, execution_id: str, started: datetime | None
    ) -> None:
        """Assign the execution's partitions from shortly before ``started``.

        Raises:
            TopicError: ``logs`` or ``executions`` does not exist.
        """
        self.execution_id = execution_id
        self._consumer = KafkaConsumer(
            settings, f"kestrel-logs-{uuid.uuid4().hex}", client_id="kestrel-cli-logs"
        )
        since = (started or datetime.now(UTC) - UNKNOWN_START) - LOOK_BACK
        self._logs = self._partition(TOPICS.logs.logical, since, settings.kafka.admin_timeout)
        self._executions = self._partition(
            TOPICS.executions.logical, since, settings.kafka.admin_timeout
        )
        self._consumer.assign([self._logs, self._executions])

    def _partition(self, logical: str, since: datetime, timeout: float) -> TopicPartition:
        raw = self._consumer.raw
        name = self._consumer.topics.name(logical)
        try:
            topic = raw.list_topics(name, timeout=timeout).topics.get(name)
            if topic is None or topic.error is not None or not topic.partitions:
                raise TopicError(name, "does not exist; is Kestrel running?")
            partition = partition_for(self.execution_id, len(topic.partitions))
            wanted = confluent_kafka.TopicPartition(name, partition, int(since.timestamp() * 1000))
            found = raw.offsets_for_times([wanted], timeout=timeout)[0]
        except confluent_kafka.KafkaException as exc:
            raise from_confluent(exc, "consume", topic=name) from exc
        if found.offset < 0:  # nothing that recent: start at the end
            _, end = self._consumer.watermarks(TopicPartition(name, partition), timeout)
            return TopicPartition(name, partition, end)
        return TopicPartition(name, partition, found.offset)

    def follow(
        self,
        on_log: Callable[[LogEntry], None],
        *,
        seen: Iterable[tuple[int, int]] = (),
        accept: Callable[[LogEntry], bool] = lambda entry: True,
    ) -> Execution | None:
        """Hand new lines to ``on_log`` until the execution ends; return its last snapshot.

        Args:
            on_log: Gets each line not printed yet.
            seen: (partition, offset) of the lines already printed.
            accept: Filter on lines (level, task).
        """
        printed = set(seen)
        latest: Execution | None = None
        drain_to: int | None = None
        quiet_since = 0.0
        while True:
            records = self._consumer.poll_batch(500, 0.3)
            for record in records:
                if record.topic == self._logs.topic:
                    entry = self._log(record)
                    coordinates = (record.partition, record.offset)
                    if entry is not None and coordinates not in printed and accept(entry):
                        printed.add(coordinates)
                        on_log(entry)
                elif record.key_str == self.execution_id:
                    latest = self._snapshot(record) or latest
            now = time.monotonic()
            if drain_to is None and latest is not None and latest.state.current.is_terminated:
                # Lines written before the end sit below the current end offset.
                drain_to = self._consumer.watermarks(self._logs)[1]
                quiet_since = now
            if drain_to is not None:
                if any(record.topic == self._logs.topic for record in records):
                    quiet_since = now
                # Transaction markers are never delivered: a quiet second also means the end.
                if self._logs_position() >= drain_to or now - quiet_since >= QUIET:
                    return latest

    def _logs_position(self) -> int:
        for partition in self._consumer.positions():
            if partition.topic == self._logs.topic:
                return partition.offset or 0
        return 0

    def _log(self, record: Record) -> LogEntry | None:
        try:
            entry = record.decoded(TOPICS.logs)
        except DeserializationError:
            return None
        return entry if entry is not None and entry.execution_id == self.execution_id else None

    def _snapshot(self, record: Record) -> Execution | None:
        try:
            return record.decoded(TOPICS.executions)
        except DeserializationError:
            return None

    def close(self) -> None:
        """Stop reading."""
        self._consumer.close()

    def __enter__(self) -> LogTail:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
