"""One-off records (a command, a resume, a trigger toggle) through a producer kept per process.

An idempotent librdkafka producer holds its first record until it has a producer id, and
asks for one only on a timer that starts at 500 ms when no broker connection is up yet,
which is always the case right after it is created (measured: a new producer's first
record is acknowledged after 501 ms, a plain one's after 1 ms). A producer created for
each command made every trigger toggle of the API, every `Resume` task and every test that
submits an execution wait half a second. So such senders share one producer per cluster
(the librdkafka configuration, whatever the topic prefix) for the life of the process, and
each waits for its own record's acknowledgement only (`KafkaProducer.deliver_to`), which is
safe from many threads.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import threading
from collections.abc import Iterable
from typing import Any, TypeVar

from orchestrator.kafka.errors import KafkaError
from orchestrator.kafka.producer import KafkaProducer
from orchestrator.kafka.serde import encode
from orchestrator.kafka.topics import Topics, TopicSpec
from orchestrator.models.base import KestrelModel
from orchestrator.settings import KafkaSettings, KestrelSettings, kafka_settings

ModelT = TypeVar("ModelT", bound=KestrelModel)

_LOCK = threading.Lock()
_PRODUCERS: dict[str, KafkaProducer] = {}
_CLOSE_SECONDS = 2.0


def _shared(kafka: KafkaSettings) -> KafkaProducer:
    key = json.dumps(kafka.producer_config(), sort_keys=True, default=str)
    with _LOCK:
        producer = _PRODUCERS.get(key)
        if producer is None:
            producer = _PRODUCERS[key] = KafkaProducer(kafka, client_id="kestrel-commands")
        return producer


def send_commands(
    settings: KafkaSettings | KestrelSettings,
    topic: TopicSpec[ModelT],
    records: Iterable[tuple[str, ModelT]],
    timeout: float | None = None,
) -> None:
    """Send each ``(key, value)`` to ``topic`` and wait until each is acknowledged.

    Raises:
        ProduceError: A record failed, or was not acknowledged within ``timeout`` seconds
            (default: ``kafka.admin_timeout``).
    """
    kafka = kafka_settings(settings)
    name = Topics(kafka.topic_prefix).name(topic)
    wait = kafka.admin_timeout if timeout is None else timeout
    producer = _shared(kafka)
    for key, value in records:
        producer.deliver_to(name, key, encode(value), wait)


def send_command(
    settings: KafkaSettings | KestrelSettings,
    topic: TopicSpec[ModelT],
    key: str,
    value: ModelT,
    timeout: float | None = None,
) -> None:
    """Send one record to ``topic`` and wait until it is acknowledged (see `send_commands`)."""
    send_commands(settings, topic, [(key, value)], timeout)


@atexit.register
def _close_all(*_: Any) -> None:
    with _LOCK:
        producers = list(_PRODUCERS.values())
        _PRODUCERS.clear()
    for producer in producers:
        with contextlib.suppress(KafkaError):  # exiting: nothing is waiting for these
            producer.close(_CLOSE_SECONDS)


__all__ = ["send_command", "send_commands"]
