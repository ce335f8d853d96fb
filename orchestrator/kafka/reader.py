"""Read a compacted topic from its beginning to its current end: the latest value per key."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from typing import TypeVar

import confluent_kafka

from orchestrator.kafka._logging import with_logger
from orchestrator.kafka.errors import ConsumeError, DeserializationError, TopicError, from_confluent
from orchestrator.kafka.idle import fetch
from orchestrator.kafka.records import Record
from orchestrator.kafka.topics import Topics, TopicSpec
from orchestrator.models.base import KestrelModel
from orchestrator.settings import KafkaSettings, KestrelSettings, kafka_settings

ModelT = TypeVar("ModelT", bound=KestrelModel)


def read_topic_to_end(
    settings: KafkaSettings | KestrelSettings,
    spec: TopicSpec[ModelT],
    *,
    partitions: Iterable[int] | None = None,
    timeout: float = 60.0,
    on_unreadable: Callable[[Record, DeserializationError], None] | None = None,
    key_prefix: str | None = None,
) -> dict[str, ModelT]:
    """Return the latest value of every key of ``spec``'s topic (tombstoned keys left out).

    Reads committed records only, without joining a group (nothing is committed), and stops
    at each partition's end as it was when reached.

    Args:
        settings: Kafka settings.
        spec: A registry topic, usually compacted (``TOPICS.flows``, ``TOPICS.executions``).
        partitions: Only these partitions (an executor restores its assigned ones); None: all.
        timeout: Seconds allowed for the whole read.
        on_unreadable: Receives a key's latest record when it cannot be decoded, and the key
            is left out; None raises instead.
        key_prefix: Only the keys that start with it (the others are neither kept nor
            decoded): one execution's records on ``task-runs``.

    Raises:
        TopicError: The topic does not exist.
        ConsumeError: The end was not reached within ``timeout``, or the broker failed.
        DeserializationError: The latest record of a key is not the topic's model (unless
            ``on_unreadable`` is given), or a key is not UTF-8 (a superseded record is never
            decoded).
    """
    settings = kafka_settings(settings)
    name = Topics(settings.topic_prefix).name(spec)
    config = settings.consumer_config(f"kestrel-reader-{uuid.uuid4().hex}", read_committed=True)
    config["enable.partition.eof"] = True
    # Assigned, not subscribed: no group membership, so no static id.
    config.pop("group.instance.id", None)
    consumer = confluent_kafka.Consumer(with_logger(config))
    try:
        wanted = _partitions(
            consumer, settings, name, partitions, min(timeout, settings.admin_timeout)
        )
        # The latest record per key, decoded only at the end: a compacted topic not yet
        # compacted holds many superseded values (an execution: one per change).
        latest: dict[str, Record] = {}
        if not wanted:
            return {}
        consumer.assign(
            [
                confluent_kafka.TopicPartition(name, p, confluent_kafka.OFFSET_BEGINNING)
                for p in wanted
            ]
        )
        at_end: set[int] = set()
        # read_committed stops at the last *stable* offset: a transaction still being
        # completed (a crashed writer's, aborted or committed by its successor) hides what
        # follows. The end is the high watermark, reached once no transaction is pending.
        high = {p: _high_watermark(consumer, name, p, settings.admin_timeout) for p in wanted}
        deadline = time.monotonic() + timeout
        while at_end != wanted or not _reached(consumer, name, high):
            left = deadline - time.monotonic()
            if left <= 0:
                raise ConsumeError(
                    f"end not reached within {timeout:g} s "
                    f"(partitions done: {sorted(at_end)} of {sorted(wanted)})",
                    topic=name,
                    retriable=True,
                )
            for message in fetch(consumer, 1000, min(left, 1.0)):
                error = message.error()
                if error is not None:
                    if error.code() == confluent_kafka.KafkaError._PARTITION_EOF:
                        at_end.add(message.partition() or 0)
                        continue
                    raise from_confluent(
                        error, "consume", topic=name, partition=message.partition()
                    )
                record = Record.from_message(message)
                key = record.key_str
                if key is None:  # a keyless record has no place in a compacted view
                    continue
                if key_prefix is None or key.startswith(key_prefix):
                    latest[key] = record
        return _decoded(latest, spec, on_unreadable)
    except confluent_kafka.KafkaException as exc:
        raise from_confluent(exc, "consume", topic=name) from exc
    finally:
        consumer.close()


def _high_watermark(
    consumer: confluent_kafka.Consumer, name: str, partition: int, timeout: float
) -> int:
    part = confluent_kafka.TopicPartition(name, partition)
    _, high = consumer.get_watermark_offsets(part, timeout=timeout)
    return int(high)


def _reached(consumer: confluent_kafka.Consumer, name: str, high: dict[int, int]) -> bool:
    """Whether the position of every partition is at (or past) its high watermark."""
    positions = consumer.position([confluent_kafka.TopicPartition(name, p) for p in high])
    return all(tp.offset >= high[tp.partition] or high[tp.partition] == 0 for tp in positions)


def _partitions(
    consumer: confluent_kafka.Consumer,
    settings: KafkaSettings,
    name: str,
    only: Iterable[int] | None,
    timeout: float,
) -> set[int]:
    try:
        metadata = consumer.list_topics(name, timeout=timeout)
    except confluent_kafka.KafkaException as exc:
        raise from_confluent(exc, "admin", bootstrap=settings.bootstrap, timeout=timeout) from exc
    topic = metadata.topics.get(name)
    if topic is None or topic.error is not None:
        reason = topic.error.str() if topic is not None and topic.error else "unknown topic"
        raise TopicError(name, f"cannot read it: {reason}")
    existing = set(topic.partitions)
    if only is None:
        return existing
    wanted = set(only)
    if missing := wanted - existing:
        raise TopicError(name, f"has no partition(s) {sorted(missing)}")
    return wanted


def _decoded(
    latest: dict[str, Record],
    spec: TopicSpec[ModelT],
    on_unreadable: Callable[[Record, DeserializationError], None] | None,
) -> dict[str, ModelT]:
    """Decode the latest record of each key; a tombstone leaves its key out."""
    values: dict[str, ModelT] = {}
    for key, record in latest.items():
        try:
            value = record.decoded(spec)
        except DeserializationError as exc:
            if on_unreadable is None:
                raise
            on_unreadable(record, exc)
            continue
        if value is not None:
            values[key] = value
    return values
