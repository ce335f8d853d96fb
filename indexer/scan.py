"""Read a topic from chosen offsets to its current end, in batches, without a consumer group.

A rebuild reads each compacted topic twice: from the beginning to the end, then, after the
alias swap, from where the first pass stopped to the new end. ``scan`` returns where it
stopped on each partition so the second pass starts exactly there.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import confluent_kafka

from orchestrator.kafka import ConsumeError, KafkaConsumer, Record, TopicError, TopicPartition
from orchestrator.kafka import from_confluent as kafka_error
from orchestrator.kafka.idle import fetch
from orchestrator.kafka.topics import TopicSpec
from orchestrator.settings import KestrelSettings


@dataclass(frozen=True)
class TopicExtent:
    """The partitions of a topic with their low and high offsets when looked at."""

    name: str
    low: dict[int, int]
    high: dict[int, int]

    @property
    def records(self) -> int:
        """Records between the low and high offsets (compaction makes it an upper bound)."""
        return sum(self.high[p] - self.low[p] for p in self.high)


def _consumer(settings: KestrelSettings) -> KafkaConsumer:
    return KafkaConsumer(
        settings,
        f"kestrel-rebuild-{uuid.uuid4().hex}",
        client_id="kestrel-indexer-rebuild",
        overrides={"enable.partition.eof": True},
    )


def extent(settings: KestrelSettings, spec: TopicSpec[Any], timeout: float = 10.0) -> TopicExtent:
    """The partitions and offsets of ``spec``'s topic now.

    Raises:
        TopicError: The topic does not exist.
    """
    with _consumer(settings) as consumer:
        name = consumer.topics.name(spec)
        try:
            metadata = consumer.raw.list_topics(name, timeout=timeout)
        except confluent_kafka.KafkaException as exc:
            raise kafka_error(exc, "admin", bootstrap=settings.kafka.bootstrap) from exc
        topic = metadata.topics.get(name)
        if topic is None or topic.error is not None or not topic.partitions:
            raise TopicError(name, "does not exist: nothing to rebuild from")
        low, high = {}, {}
        for partition in sorted(topic.partitions):
            low[partition], high[partition] = consumer.watermarks(
                TopicPartition(name, partition), timeout
            )
        return TopicExtent(name, low, high)


def scan(
    settings: KestrelSettings,
    spec: TopicSpec[Any],
    on_batch: Callable[[list[Record]], None],
    *,
    start: Mapping[int, int] | None = None,
    batch_size: int = 1000,
    timeout: float = 600.0,
) -> dict[int, int]:
    """Hand every committed record from ``start`` to the end to ``on_batch``, in order.

    Args:
        settings: Kafka settings.
        spec: The topic.
        on_batch: Gets each batch of records (at most ``batch_size``).
        start: First offset per partition; None (or a missing partition): the beginning.
        batch_size: Most records per batch.
        timeout: Seconds allowed for the whole read.

    Returns:
        The offset after the last record read, per partition: the ``start`` of a next pass.

    Raises:
        TopicError: The topic does not exist.
        ConsumeError: The end was not reached within ``timeout``, or the broker failed.
    """
    partitions = extent(settings, spec).high
    with _consumer(settings) as consumer:
        name = consumer.topics.name(spec)
        offsets = {p: (start or {}).get(p) for p in partitions}
        # No offset: this fresh group has no commit, so ``auto.offset.reset`` (earliest) applies.
        consumer.assign(TopicPartition(name, p, offsets[p]) for p in partitions)
        resume: dict[int, int] = {p: o or 0 for p, o in offsets.items()}
        at_end: set[int] = set()
        deadline = time.monotonic() + timeout
        while at_end != set(partitions):
            if time.monotonic() > deadline:
                raise ConsumeError(f"end not reached within {timeout:g} s", topic=name)
            records = []
            for message in fetch(consumer.raw, batch_size, 1.0):
                error = message.error()
                partition = message.partition() or 0
                if error is not None:
                    if error.code() != confluent_kafka.KafkaError._PARTITION_EOF:
                        raise kafka_error(error, "consume", topic=name, partition=partition)
                    at_end.add(partition)
                    resume[partition] = max(resume[partition], message.offset() or 0)
                    continue
                record = Record.from_message(message)
                records.append(record)
                resume[partition] = max(resume[partition], record.offset + 1)
            if records:
                on_batch(records)
        return resume
