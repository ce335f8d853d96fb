"""``io.kestra.plugin.kafka.Trigger`` (polling) and ``RealtimeTrigger`` (one per record)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from orchestrator.scheduler.polling import Poll, PollContext, PollingTrigger
from orchestrator.scheduler.realtime import RealtimeContext, RealtimeTrigger
from plugins.kafka.client import check_topics, consumed, probe, record_of, server_name
from plugins.kafka.consume import KafkaConsumeFields, consume
from plugins.messaging import SerdeType, failure, store_trigger_items

REALTIME_BATCH = 100
"""Records received at most per batch (their executions are created in one transaction)."""


class KafkaTrigger(PollingTrigger, KafkaConsumeFields):
    """Read new records on an interval; one execution per non-empty batch.

    The execution's ``trigger.uri`` is a file of the records (as ``Consume`` writes it) and
    ``trigger.messagesCount`` their number. With a ``groupId`` the offsets read are
    committed, so each poll reads only new records.

    Example:
        ```yaml
        triggers:
          - id: orders
            type: io.kestra.plugin.kafka.Trigger
            properties:
              bootstrap.servers: localhost:9092
            topic: orders
            groupId: kestra
            interval: PT30S
            maxRecords: 100
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.kafka.Trigger"

    def evaluate(self, context: PollContext) -> list[Poll]:
        """Consume the records waiting; store them and ask for one execution."""
        variables = {"flow": {"namespace": context.ref.namespace, "id": context.ref.flow_id}}

        def render(value: Any, path: str) -> Any:
            return context.renderer.render_recursive(
                value, variables, task_id=self.id, property_path=path
            )

        records = consume(self.spec(self.id, render))
        if not records:
            return []
        uri = store_trigger_items(context.ref, self.id, records)
        return [Poll({"messagesCount": len(records), "uri": uri})]


class KafkaRealtimeTrigger(RealtimeTrigger):
    """Start one execution per record, as records arrive.

    ``trigger`` carries the record: ``key``, ``value``, ``topic``, ``partition``,
    ``offset``, ``timestamp``, ``headers``. Offsets are committed once the executions of
    the records read are created (auto-commit is off).

    Example:
        ```yaml
        triggers:
          - id: orders
            type: io.kestra.plugin.kafka.RealtimeTrigger
            properties:
              bootstrap.servers: localhost:9092
            topic: orders
            groupId: kestra
            valueDeserializer: JSON
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.kafka.RealtimeTrigger"

    properties: dict[str, Any]
    """librdkafka settings; ``bootstrap.servers`` is required."""
    topic: str | list[str]
    """The topic, or topics, to subscribe to."""
    group_id: str
    """The consumer group whose offsets are committed."""
    key_deserializer: SerdeType = "STRING"
    """How keys are decoded."""
    value_deserializer: SerdeType = "STRING"
    """How values are decoded."""
    serde_properties: dict[str, Any] = Field(default_factory=dict)
    """Accepted for Kestra flows (schema registry settings); unused by STRING and JSON."""

    def subscribe(self, context: RealtimeContext) -> _KafkaSource:
        """Join the group and subscribe to the topics.

        Raises:
            MessagingError: the brokers are unreachable, or a topic is missing.
        """
        import confluent_kafka as kafka  # a core dependency: no extra to name

        properties = {
            str(key): value
            for key, value in context.render(self, self.properties, "properties").items()
        }
        topic = context.render(self, self.topic, "topic")
        topics = [topic] if isinstance(topic, str) else list(topic)
        probe(self.id, properties)
        consumer = kafka.Consumer(
            {
                "auto.offset.reset": "earliest",
                **properties,
                "group.id": context.render(self, self.group_id, "groupId"),
                "enable.auto.commit": False,
            }
        )
        try:
            check_topics(self.id, consumer, properties, topics)
            consumer.subscribe(topics)
        except BaseException:
            consumer.close()
            raise
        return _KafkaSource(self, consumer, properties)


class _KafkaSource:
    """A subscribed consumer: records in, offsets committed on acknowledgement."""

    def __init__(self, trigger: KafkaRealtimeTrigger, consumer: Any, properties: dict[str, Any]):
        self._trigger = trigger
        self._consumer = consumer
        self._properties = properties

    def receive(self, timeout: float) -> list[dict[str, Any]]:
        trigger = self._trigger
        messages = consumed(
            trigger.id, self._properties, self._consumer.consume(REALTIME_BATCH, timeout)
        )
        return [
            record_of(each, trigger.key_deserializer, trigger.value_deserializer)
            for each in messages
        ]

    def acknowledge(self) -> None:
        from confluent_kafka import KafkaException

        try:
            self._consumer.commit(asynchronous=False)
        except KafkaException as exc:
            raise failure(
                self._trigger.id, server_name(self._properties), "committing", exc
            ) from None

    def close(self) -> None:
        self._consumer.close()


__all__ = ["KafkaRealtimeTrigger", "KafkaTrigger"]
