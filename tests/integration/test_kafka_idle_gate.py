"""A consumer resting on quiet topics (kafka.idle_after) loses and repeats nothing."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest

from orchestrator.kafka import (
    TOPICS,
    KafkaConsumer,
    KafkaProducer,
    TopicPartition,
    TopicTail,
    ensure_topics,
)
from orchestrator.models.messages import KillNotice
from orchestrator.settings import KafkaSettings

pytestmark = pytest.mark.integration


def resting_settings(kafka_settings: KafkaSettings) -> KafkaSettings:
    return kafka_settings.model_copy(update={"idle_after": 0.3, "idle_probe": 0.05})


def poll_until(poll: Callable[[], list[object]], done: Callable[[], bool], timeout: float) -> list:
    got: list[object] = []
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "condition not reached in time"
        got += poll()
    return got


def send(settings: KafkaSettings, keys: list[str], partition: int | None = None) -> None:
    with KafkaProducer(settings) as producer:
        for key in keys:
            producer.send(TOPICS.kills, key, KillNotice(execution_id=key), partition=partition)
        producer.flush()


def test_a_resting_consumer_wakes_for_each_record_and_reads_it_once(
    kafka_settings: KafkaSettings,
) -> None:
    settings = resting_settings(kafka_settings)
    ensure_topics(settings, [TOPICS.kills])
    with KafkaConsumer(settings, f"idle-{uuid.uuid4().hex}") as consumer:
        consumer.subscribe([TOPICS.kills])
        gate = consumer._gate
        seen: list[str] = []
        for round_ in range(3):
            poll_until(lambda: consumer.poll_batch(100, 0.1), lambda: gate.resting, 30)
            keys = [f"r{round_}-{index}" for index in range(5)]
            send(settings, keys)
            records = poll_until(
                lambda: consumer.poll_batch(100, 0.1),
                lambda: not gate.resting,
                30,
            )
            expected = len(seen) + len(keys)
            while len(seen) + len(records) < expected:
                records += consumer.poll_batch(100, 0.2)
            seen += [record.key_str for record in records]
        assert sorted(seen) == sorted(f"r{r}-{i}" for r in range(3) for i in range(5))


def test_the_gate_never_resumes_a_partition_the_application_paused(
    kafka_settings: KafkaSettings,
) -> None:
    settings = resting_settings(kafka_settings)
    ensure_topics(settings, [TOPICS.kills])
    with KafkaConsumer(settings, f"idle-{uuid.uuid4().hex}") as consumer:
        consumer.subscribe([TOPICS.kills])
        poll_until(lambda: consumer.poll_batch(100, 0.1), lambda: bool(consumer.assignment()), 30)
        name = consumer.topics.name(TOPICS.kills)
        held = TopicPartition(name, 0)
        consumer.pause([held])
        gate = consumer._gate
        poll_until(lambda: consumer.poll_batch(100, 0.1), lambda: gate.resting, 30)
        send(settings, ["held"], partition=0)
        send(settings, ["free"], partition=1)
        records = poll_until(lambda: consumer.poll_batch(100, 0.1), lambda: not gate.resting, 30)
        records += consumer.poll_batch(100, 0.5)
        assert [record.key_str for record in records] == ["free"]
        consumer.resume([held])
        late: list = []
        deadline = time.monotonic() + 30
        while not late:
            assert time.monotonic() < deadline
            late = consumer.poll_batch(100, 0.2)
        assert [record.key_str for record in late] == ["held"]


def test_a_resting_tail_follows_new_records(kafka_settings: KafkaSettings) -> None:
    settings = resting_settings(kafka_settings)
    ensure_topics(settings, [TOPICS.kills])
    with TopicTail(settings, [TOPICS.kills], from_beginning=False) as tail:
        gate = tail._gate
        poll_until(lambda: tail.poll(100, 0.1), lambda: gate.resting, 30)
        send(settings, ["tail-1", "tail-2"])
        records: list = []
        deadline = time.monotonic() + 30
        while len(records) < 2:
            assert time.monotonic() < deadline
            records += tail.poll(100, 0.1)
        assert sorted(record.key_str for record in records) == ["tail-1", "tail-2"]


def test_polling_without_a_timeout_probes_at_most_once_per_interval(
    kafka_settings: KafkaSettings,
) -> None:
    settings = resting_settings(kafka_settings)
    ensure_topics(settings, [TOPICS.kills])
    with TopicTail(settings, [TOPICS.kills], from_beginning=False) as tail:
        gate = tail._gate
        poll_until(lambda: tail.poll(100, 0.1), lambda: gate.resting, 30)
        probes = 0
        probe = gate._moved

        def counted() -> bool:
            nonlocal probes
            probes += 1
            return probe()

        gate._moved = counted  # type: ignore[method-assign]
        started = time.monotonic()
        for _ in range(500):
            assert tail.poll(100, 0) == []
        elapsed = time.monotonic() - started
        assert gate.resting
        assert probes <= elapsed / settings.idle_probe + 2
