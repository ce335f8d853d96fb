"""``io.kestra.plugin.kafka.Consume``: read records of Kafka topics into a file."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from orchestrator.models.base import KestrelModel
from orchestrator.models.duration import Duration
from orchestrator.tasks.base import RunnableTask
from plugins.kafka.client import (
    check_topics,
    consumed,
    probe,
    record_of,
    secret_values,
    server_name,
)
from plugins.messaging import SerdeType, failure, store_items

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

BATCH = 500
"""Records asked of librdkafka per ``consume`` call."""


@dataclass(frozen=True)
class ConsumeSpec:
    """What to read, rendered: shared by the task and the polling trigger."""

    task_id: str
    properties: dict[str, Any]
    topics: list[str]
    group_id: str | None
    key_serde: SerdeType
    value_serde: SerdeType
    max_records: int | None
    max_duration: timedelta | None
    poll_duration: timedelta


def consume(spec: ConsumeSpec) -> list[dict[str, Any]]:
    """Read records until ``max_records``, ``max_duration``, or a poll finds nothing.

    With a ``group_id``, the group's committed offsets are the start and the records read
    are committed at the end; without one, every partition is read from its beginning and
    nothing is committed.

    Raises:
        MessagingError: the brokers are unreachable, or a topic is missing.
    """
    import confluent_kafka as kafka  # a core dependency: no extra to name

    probe(spec.task_id, spec.properties)
    config = {
        "auto.offset.reset": "earliest",
        **spec.properties,
        "group.id": spec.group_id or f"kestrel-consume-{spec.task_id}",
        "enable.auto.commit": False,
        "enable.partition.eof": False,
    }
    consumer = kafka.Consumer(config)
    try:
        check_topics(spec.task_id, consumer, spec.properties, spec.topics)
        if spec.group_id:
            consumer.subscribe(spec.topics)
        else:
            consumer.assign(_all_partitions(consumer, spec.topics))
        records = _read(consumer, spec)
        if spec.group_id and records:
            consumer.commit(asynchronous=False)
        return records
    except kafka.KafkaException as exc:
        raise failure(spec.task_id, server_name(spec.properties), "consuming", exc) from None
    finally:
        consumer.close()


def _all_partitions(consumer: Any, topics: list[str]) -> list[Any]:
    from confluent_kafka import OFFSET_BEGINNING, TopicPartition

    metadata = consumer.list_topics(timeout=5.0)
    return [
        TopicPartition(topic, partition, OFFSET_BEGINNING)
        for topic in topics
        for partition in metadata.topics[topic].partitions
    ]


def _read(consumer: Any, spec: ConsumeSpec) -> list[dict[str, Any]]:
    started = time.monotonic()
    limit = spec.max_duration.total_seconds() if spec.max_duration else None
    records: list[dict[str, Any]] = []
    while spec.max_records is None or len(records) < spec.max_records:
        wait = spec.poll_duration.total_seconds()
        if limit is not None:
            wait = min(wait, max(limit - (time.monotonic() - started), 0.0))
        want = BATCH if spec.max_records is None else min(BATCH, spec.max_records - len(records))
        batch = consumed(spec.task_id, spec.properties, consumer.consume(want, wait))
        records += [record_of(each, spec.key_serde, spec.value_serde) for each in batch]
        if not batch or (limit is not None and time.monotonic() - started >= limit):
            break
    return records


class KafkaConsumeFields(KestrelModel):
    """Properties of the Consume task, shared with the polling trigger."""

    properties: dict[str, Any]
    """librdkafka settings; ``bootstrap.servers`` is required."""
    topic: str | list[str]
    """The topic, or topics, to read."""
    group_id: str | None = None
    """The consumer group: read from its offsets and commit them (else from the start)."""
    key_deserializer: SerdeType = "STRING"
    """How keys are decoded."""
    value_deserializer: SerdeType = "STRING"
    """How values are decoded."""
    max_records: int | None = Field(default=None, ge=1)
    """Stop after this many records."""
    max_duration: Duration | None = None
    """Stop after this long."""
    poll_duration: Duration = Field(default=timedelta(seconds=5))
    """Stop when a poll this long finds nothing new."""
    serde_properties: dict[str, Any] = Field(default_factory=dict)
    """Accepted for Kestra flows (schema registry settings); unused by STRING and JSON."""

    def spec(self, task_id: str, render: Callable[[Any, str], Any]) -> ConsumeSpec:
        """The rendered `ConsumeSpec` (``render(value, property_path)`` renders a value)."""
        topics = render(self.topic, "topic")
        properties = render(self.properties, "properties")
        return ConsumeSpec(
            task_id=task_id,
            properties={str(key): value for key, value in properties.items()},
            topics=[topics] if isinstance(topics, str) else list(topics),
            group_id=str(render(self.group_id, "groupId")) if self.group_id else None,
            key_serde=self.key_deserializer,
            value_serde=self.value_deserializer,
            max_records=self.max_records,
            max_duration=self.max_duration,
            poll_duration=self.poll_duration,
        )


class Consume(RunnableTask, KafkaConsumeFields):
    """Read records of Kafka topics into a file; outputs ``messagesCount`` and ``uri``.

    The file holds one JSON record per line: ``key``, ``value``, ``topic``, ``partition``,
    ``offset``, ``timestamp`` and ``headers``.

    Example:
        ```yaml
        - id: consume
          type: io.kestra.plugin.kafka.Consume
          properties:
            bootstrap.servers: localhost:9092
          topic: orders
          groupId: kestra
          valueDeserializer: JSON
          maxRecords: 100
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.kafka.Consume"

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Read the records and store them.

        Raises:
            MessagingError: the brokers are unreachable, or a topic is missing.
        """
        spec = self.spec(self.id, ctx.render)
        ctx.add_secrets(secret_values(spec.properties))
        records = consume(spec)
        ctx.logger.info(f"read {len(records)} records from {server_name(spec.properties)}")
        return {"messagesCount": len(records), "uri": store_items(ctx, records)}


__all__ = ["Consume", "ConsumeSpec", "KafkaConsumeFields", "consume"]
