"""``io.kestra.plugin.kafka.Produce``: send records to a Kafka topic."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from orchestrator.tasks.base import RunnableTask
from plugins.kafka.client import probe, render_properties, server_name
from plugins.messaging import MessagingError, SerdeType, failure, items_of, serialize

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

FLUSH_TIMEOUT = 30.0
"""Seconds allowed for every record to be acknowledged by the brokers."""


class Produce(RunnableTask):
    """Send records to Kafka; outputs ``messagesCount``.

    ``from`` is one record (a map), a list of records, or the URI of a file of records (one
    JSON map per line). A record is ``{key, value, topic, partition, headers, timestamp}``;
    only ``value`` is needed, ``topic`` defaults to the task's. Keys and values are
    serialized as text (``STRING``) or as JSON. The producer is idempotent and the task
    fails unless every record is acknowledged.

    Example:
        ```yaml
        - id: produce
          type: io.kestra.plugin.kafka.Produce
          properties:
            bootstrap.servers: localhost:9092
          topic: orders
          valueSerializer: JSON
          from:
            - key: "1"
              value: {"amount": 12}
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.kafka.Produce"

    properties: dict[str, Any]
    """librdkafka settings; ``bootstrap.servers`` is required."""
    topic: str | None = None
    """The topic of records that name none."""
    from_: Any = Field(alias="from")
    """A record, a list of records, or a storage URI of a file of records."""
    key_serializer: SerdeType = "STRING"
    """How keys are encoded."""
    value_serializer: SerdeType = "STRING"
    """How values are encoded."""
    serde_properties: dict[str, Any] = Field(default_factory=dict)
    """Accepted for Kestra flows (schema registry settings); unused by STRING and JSON."""
    transactional: bool = True
    """Accepted for Kestra flows; records are sent by an idempotent producer."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Send every record and wait for their acknowledgements.

        Raises:
            MessagingError: the brokers are unreachable or refused a record.
        """
        import confluent_kafka as kafka  # a core dependency: no extra to name

        properties = render_properties(ctx, self.properties)
        records = items_of(ctx, self.from_, "from")
        default_topic = ctx.render_text(self.topic, "topic") if self.topic else None
        probe(self.id, properties)
        errors: list[str] = []

        def delivered(error: Any, _message: Any) -> None:
            if error is not None:
                errors.append(error.str())

        producer = kafka.Producer({**properties, "enable.idempotence": True})
        try:
            for number, record in enumerate(records, start=1):
                self._send(producer, record, default_topic, number, delivered)
                producer.poll(0)
            left = producer.flush(FLUSH_TIMEOUT)
        except kafka.KafkaException as exc:
            raise failure(self.id, server_name(properties), "producing", exc) from None
        if errors or left:
            detail = errors[0] if errors else f"{left} records not acknowledged in time"
            raise failure(self.id, server_name(properties), "producing", detail)
        ctx.logger.info(f"sent {len(records)} records to {server_name(properties)}")
        return {"messagesCount": len(records)}

    def _send(
        self, producer: Any, record: Any, default_topic: str | None, number: int, callback: Any
    ) -> None:
        if not isinstance(record, dict):
            record = {"value": record}
        topic = record.get("topic") or default_topic
        if not topic:
            raise MessagingError(
                f"task {self.id!r}: record {number} names no topic and the task has none",
                retryable=False,
            )
        options: dict[str, Any] = {}
        if record.get("partition") is not None:
            options["partition"] = int(record["partition"])
        if record.get("timestamp") is not None:
            options["timestamp"] = int(record["timestamp"])
        headers = record.get("headers")
        if headers:
            pairs = headers.items() if isinstance(headers, dict) else headers
            options["headers"] = [(str(name), str(value).encode()) for name, value in pairs]
        key = record.get("key")
        producer.produce(
            topic,
            value=serialize(record.get("value"), self.value_serializer),
            key=None if key is None else serialize(key, self.key_serializer),
            on_delivery=callback,
            **options,
        )


__all__ = ["Produce"]
