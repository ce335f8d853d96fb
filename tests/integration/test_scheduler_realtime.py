"""Realtime triggers end to end: messages published to Kafka and RabbitMQ start executions
through the scheduler, exactly one per message, across a scheduler restart."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pika
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from messaging_services import RABBITMQ, require_server
from scheduler_helpers import FiredWatcher, write_flow

from orchestrator.cli.context import make_renderer
from orchestrator.cli.deploy import deploy_files
from orchestrator.kafka import TOPICS, TopicTail, ensure_topics
from orchestrator.models.messages import CreateExecution
from orchestrator.scheduler.service import SchedulerService
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration

FLOW = """id: {flow}
namespace: tests.realtime
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger }}}}"
triggers:
  - id: messages
{trigger}
"""

KAFKA_TRIGGER = """    type: io.kestra.plugin.kafka.RealtimeTrigger
    properties:
      bootstrap.servers: {bootstrap}
    topic: {topic}
    groupId: {topic}-group"""

AMQP_TRIGGER = """    type: io.kestra.plugin.amqp.RealtimeTrigger
    host: 127.0.0.1
    username: guest
    password: guest
    queue: {queue}"""


class RunningScheduler:
    """A scheduler instance in a thread of the test."""

    def __init__(self, settings: KestrelSettings) -> None:
        self.service = SchedulerService(settings, "scheduler-rt", make_renderer())
        self.thread = threading.Thread(target=self.service.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.service.stop()
        self.thread.join(60)
        assert not self.thread.is_alive()


@pytest.fixture
def queue() -> Iterator[str]:
    require_server(RABBITMQ, "RabbitMQ")
    name = f"kestrel-rt-{uuid.uuid4().hex[:10]}"
    connection = pika.BlockingConnection(pika.ConnectionParameters(*RABBITMQ))
    connection.channel().queue_declare(name)
    yield name
    connection.channel().queue_delete(name)
    connection.close()


def publish_kafka(bootstrap: str, topic: str, values: list[str]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for value in values:
        producer.produce(topic, value.encode())
    assert producer.flush(15) == 0


def publish_amqp(queue: str, values: list[str]) -> None:
    connection = pika.BlockingConnection(pika.ConnectionParameters(*RABBITMQ))
    channel = connection.channel()
    for value in values:
        channel.basic_publish("", queue, value.encode())
    connection.close()


def amqp_waiting(queue: str) -> int:
    connection = pika.BlockingConnection(pika.ConnectionParameters(*RABBITMQ))
    count = int(connection.channel().queue_declare(queue, passive=True).method.message_count)
    connection.close()
    return count


def kafka_lag(bootstrap: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{topic}-group"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        committed = consumer.committed([TopicPartition(topic, p) for p in partitions], timeout=10)
        lag = 0
        for each in committed:
            _, high = consumer.get_watermark_offsets(each, timeout=10)
            lag += high - max(each.offset, 0)
        return lag
    finally:
        consumer.close()


def committed_values(settings: KestrelSettings, flow: str, field: str) -> Counter[str]:
    """The trigger values of every Create committed for ``flow``, read to the topic's end."""
    tail = TopicTail(settings, [TOPICS.execution_commands])
    try:
        reached, records = tail.catch_up(20)
    finally:
        tail.close()
    assert reached
    creates = [record.decoded(TOPICS.execution_commands) for record in records]
    return Counter(
        str(each.trigger.variables[field])
        for each in creates
        if isinstance(each, CreateExecution) and each.flow_id == flow and each.trigger
    )


def test_each_message_starts_one_execution_across_a_restart(
    settings: KestrelSettings, tmp_path: Path, queue: str
) -> None:
    bootstrap = settings.kafka.bootstrap
    topic = f"user-orders-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(topic, 2, 1)]).values():
        future.result(15)
    ensure_topics(settings)
    flows = tmp_path / "flows"
    kafka = KAFKA_TRIGGER.format(bootstrap=bootstrap, topic=topic)
    write_flow(flows, "from_kafka", FLOW.format(flow="from_kafka", trigger=kafka))
    amqp = AMQP_TRIGGER.format(queue=queue)
    write_flow(flows, "from_amqp", FLOW.format(flow="from_amqp", trigger=amqp))
    deploy_files(settings, [flows])
    fired = FiredWatcher(settings)
    scheduler = RunningScheduler(settings)
    try:
        first = [f"m{n}" for n in range(20)]
        publish_kafka(bootstrap, topic, first)
        publish_amqp(queue, first)
        fired.wait(
            lambda: len(fired.fired("from_kafka")) >= 20 and len(fired.fired("from_amqp")) >= 20,
            60,
            "20 executions from each source",
        )
        scheduler.stop()
        # Every message handed over was acknowledged once its execution was committed.
        assert amqp_waiting(queue) == 0
        assert kafka_lag(bootstrap, topic) == 0

        second = [f"n{n}" for n in range(10)]
        publish_kafka(bootstrap, topic, second)
        publish_amqp(queue, second)
        scheduler = RunningScheduler(settings)
        fired.wait(
            lambda: len(fired.fired("from_kafka")) >= 30 and len(fired.fired("from_amqp")) >= 30,
            60,
            "10 more executions from each source after the restart",
        )
        scheduler.stop()
        expected = Counter(first + second)
        assert committed_values(settings, "from_kafka", "value") == expected
        assert committed_values(settings, "from_amqp", "data") == expected
        kafka_create = fired.fired("from_kafka")[0].trigger
        assert kafka_create is not None and kafka_create.variables["topic"] == topic
    finally:
        if scheduler.thread.is_alive():
            scheduler.stop()
        fired.close()
