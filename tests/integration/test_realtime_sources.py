"""The realtime sources of the messaging plugins, in-process against the real servers:
a batch not acknowledged comes again on the next subscription, an acknowledged one never.

(The Kafka source is covered end to end in test_scheduler_realtime.py.)
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pika
import pytest
import redis
from messaging_services import (
    MOSQUITTO,
    NATS,
    RABBITMQ,
    REDIS,
    poll_context,
    require_server,
    trigger_of,
)
from plugin_context import run_task

from orchestrator.scheduler.realtime import RealtimeContext, RealtimeSource

pytestmark = pytest.mark.integration


def context() -> RealtimeContext:
    polled = poll_context("tests.realtime")
    return RealtimeContext(renderer=polled.renderer, ref=polled.ref)


def collect(source: RealtimeSource, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Receive until ``count`` messages came (or fail after ``timeout``)."""
    received: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(received) < count:
        assert time.monotonic() < deadline, f"received {len(received)} of {count}"
        received += source.receive(0.2)
    return received


def nothing_more(source: RealtimeSource) -> bool:
    return source.receive(0.3) == [] and source.receive(0.3) == []


@pytest.fixture
def queue() -> Iterator[str]:
    require_server(RABBITMQ, "RabbitMQ")
    name = f"kestrel-src-{uuid.uuid4().hex[:10]}"
    connection = pika.BlockingConnection(pika.ConnectionParameters(*RABBITMQ))
    connection.channel().queue_declare(name)
    yield name
    connection.channel().queue_delete(name)
    connection.close()


def test_amqp_source_redelivers_until_acknowledged(queue: str) -> None:
    connection = pika.BlockingConnection(pika.ConnectionParameters(*RABBITMQ))
    for n in range(3):
        connection.channel().basic_publish("", queue, f"m{n}".encode())
    trigger = trigger_of(
        {"type": "io.kestra.plugin.amqp.RealtimeTrigger", "host": RABBITMQ[0], "queue": queue}
    )
    source = trigger.subscribe(context())
    assert [m["data"] for m in collect(source, 3)] == ["m0", "m1", "m2"]
    source.close()  # not acknowledged: the broker requeues them
    source = trigger.subscribe(context())
    assert sorted(m["data"] for m in collect(source, 3)) == ["m0", "m1", "m2"]
    source.acknowledge()
    source.close()
    source = trigger.subscribe(context())
    assert nothing_more(source)
    source.close()
    waiting = connection.channel().queue_declare(queue, passive=True).method.message_count
    connection.close()
    assert waiting == 0


def test_redis_list_source_gives_back_what_was_not_acknowledged() -> None:
    require_server(REDIS, "Redis")
    key = f"kestrel-src-{uuid.uuid4().hex[:10]}"
    client = redis.Redis(*REDIS)
    client.rpush(key, "a", "b", "c")
    trigger = trigger_of(
        {
            "type": "io.kestra.plugin.redis.list.RealtimeTrigger",
            "url": f"redis://{REDIS[0]}:{REDIS[1]}/0",
            "key": key,
        }
    )
    try:
        source = trigger.subscribe(context())
        assert [m["value"] for m in collect(source, 3)] == ["a", "b", "c"]
        assert client.llen(key) == 0
        source.close()  # not acknowledged: back to the list on the next subscription
        source = trigger.subscribe(context())
        assert [m["value"] for m in collect(source, 3)] == ["a", "b", "c"]
        source.acknowledge()
        client.rpush(key, "d")
        assert [m["value"] for m in collect(source, 1)] == ["d"]
        source.acknowledge()
        source.close()
        source = trigger.subscribe(context())
        assert nothing_more(source)
        source.close()
        assert client.llen(key) == 0
    finally:
        client.delete(key)
        for leftover in client.scan_iter(f"{key}:kestrel-processing:*"):
            client.delete(leftover)
        client.close()


async def _nats_stream(name: str, subjects: list[str] | None) -> None:
    import nats

    client = await nats.connect(f"nats://{NATS[0]}:{NATS[1]}")
    stream = client.jetstream()
    if subjects is None:
        await stream.delete_stream(name)
    else:
        await stream.add_stream(name=name, subjects=subjects)
        for value in ("a", "b", "c"):
            await client.publish(f"{name}.x", value.encode())
        await client.flush()
    await client.close()


def test_nats_source_redelivers_until_acknowledged() -> None:
    require_server(NATS, "NATS")
    name = f"kestrel_src_{uuid.uuid4().hex[:10]}"
    asyncio.run(_nats_stream(name, [f"{name}.>"]))
    trigger = trigger_of(
        {
            "type": "io.kestra.plugin.nats.RealtimeTrigger",
            "url": f"nats://{NATS[0]}:{NATS[1]}",
            "subject": f"{name}.x",
        }
    )
    try:
        source = trigger.subscribe(context())
        assert [m["data"] for m in collect(source, 3)] == ["a", "b", "c"]
        source.close()  # not acknowledged: given back at once
        source = trigger.subscribe(context())
        assert [m["data"] for m in collect(source, 3)] == ["a", "b", "c"]
        source.acknowledge()
        source.close()
        source = trigger.subscribe(context())
        assert nothing_more(source)
        source.close()
    finally:
        asyncio.run(_nats_stream(name, None))


def test_mqtt_source_redelivers_until_acknowledged(tmp_path: Path) -> None:
    require_server(MOSQUITTO, "Mosquitto")
    topic = f"kestrel-src/{uuid.uuid4().hex[:10]}"
    trigger = trigger_of(
        {
            "id": f"t{uuid.uuid4().hex[:6]}",
            "type": "io.kestra.plugin.mqtt.RealtimeTrigger",
            "server": f"tcp://{MOSQUITTO[0]}:{MOSQUITTO[1]}",
            "topic": topic,
            "serdeType": "STRING",
        }
    )
    source = trigger.subscribe(context())  # the session and its subscription now exist
    run_task(
        {
            "type": "io.kestra.plugin.mqtt.Publish",
            "server": f"tcp://{MOSQUITTO[0]}:{MOSQUITTO[1]}",
            "topic": topic,
            "serdeType": "STRING",
            "from": ["a", "b", "c"],
        },
        tmp_path,
    )
    assert [m["payload"] for m in collect(source, 3)] == ["a", "b", "c"]
    source.close()  # not acknowledged: the broker keeps them in the session
    source = trigger.subscribe(context())
    assert sorted(m["payload"] for m in collect(source, 3)) == ["a", "b", "c"]
    source.acknowledge()
    source.close()
    source = trigger.subscribe(context())
    assert nothing_more(source)
    source.close()
