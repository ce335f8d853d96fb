"""A consumer resting on quiet topics (kafka.idle_after) loses and repeats nothing."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import confluent_kafka
import pytest

from orchestrator.kafka import (
    TOPICS,
    KafkaConsumer,
    KafkaProducer,
    TopicPartition,
    TopicTail,
    ensure_topics,
)
from orchestrator.kafka.serde import encode
from orchestrator.kafka.topics import Topics
from orchestrator.kafka.wakeup import prober
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


def test_polling_without_a_timeout_sends_no_request(kafka_settings: KafkaSettings) -> None:
    settings = resting_settings(kafka_settings)
    ensure_topics(settings, [TOPICS.kills])
    with TopicTail(settings, [TOPICS.kills], from_beginning=False) as tail:
        gate = tail._gate
        poll_until(lambda: tail.poll(100, 0.1), lambda: gate.resting, 30)
        shared = prober(gate._probe_config, settings.idle_probe, settings.idle_probe_max)
        before = shared.probes
        started = time.monotonic()
        for _ in range(500):
            assert tail.poll(100, 0) == []
        elapsed = time.monotonic() - started
        assert gate.resting
        # Only the shared probe asks the broker, once per interval at most.
        assert shared.probes - before <= elapsed / settings.idle_probe + 2


def raw_send(settings: KafkaSettings, key: str) -> None:
    """Produce as another process would: no ring of this process' bells."""
    producer = confluent_kafka.Producer({"bootstrap.servers": settings.bootstrap})
    name = Topics(settings.topic_prefix).name(TOPICS.kills)
    producer.produce(name, key=key.encode(), value=encode(KillNotice(execution_id=key)))
    assert producer.flush(10) == 0


def test_a_local_produce_wakes_a_resting_consumer_without_the_probe(
    kafka_settings: KafkaSettings,
) -> None:
    # A probe every hour: only the producer's ring can wake the consumer in time.
    settings = kafka_settings.model_copy(update={"idle_after": 0.3, "idle_probe": 3600.0})
    ensure_topics(settings, [TOPICS.kills])
    with KafkaConsumer(settings, f"idle-{uuid.uuid4().hex}") as consumer:
        consumer.subscribe([TOPICS.kills])
        gate = consumer._gate
        poll_until(lambda: consumer.poll_batch(100, 0.1), lambda: gate.resting, 30)
        send(settings, ["rung"])
        assert gate.bell.rang()
        records = poll_until(lambda: consumer.poll_batch(100, 0.1), lambda: not gate.resting, 30)
        deadline = time.monotonic() + 30
        while not records:
            assert time.monotonic() < deadline
            records = consumer.poll_batch(100, 0.1)
        assert [record.key_str for record in records] == ["rung"]
        assert prober(gate._probe_config, settings.idle_probe, settings.idle_probe_max).probes == 0


def test_one_shared_probe_wakes_every_gate_whose_topic_another_process_wrote(
    kafka_settings: KafkaSettings,
) -> None:
    settings = resting_settings(kafka_settings)
    ensure_topics(settings, [TOPICS.kills, TOPICS.worker_heartbeats])
    with (
        TopicTail(settings, [TOPICS.kills], from_beginning=False) as kills_a,
        TopicTail(settings, [TOPICS.kills], from_beginning=False) as kills_b,
        TopicTail(settings, [TOPICS.worker_heartbeats], from_beginning=False) as beats,
    ):
        tails = [kills_a, kills_b, beats]
        for tail in tails:
            poll_until(
                lambda tail=tail: tail.poll(100, 0.05), lambda tail=tail: tail._gate.resting, 30
            )
        raw_send(settings, "from-elsewhere")
        got: dict[int, list] = {0: [], 1: []}
        deadline = time.monotonic() + 30
        while not (got[0] and got[1]):
            assert time.monotonic() < deadline, "the probe did not wake the kills tails"
            for index in (0, 1):
                got[index] += tails[index].poll(100, 0.05)
        assert [r.key_str for r in got[0]] == [r.key_str for r in got[1]] == ["from-elsewhere"]
        # The heartbeats tail's topic did not move: it rests on.
        assert beats.poll(100, 0) == [] and beats._gate.resting
        assert not beats._gate.bell.rang()


def test_a_tail_rests_after_catching_up_and_catches_up_again(
    kafka_settings: KafkaSettings,
) -> None:
    # No probe in time: catching up must wake the resting tail itself.
    settings = kafka_settings.model_copy(update={"idle_after": 0.3, "idle_probe": 3600.0})
    ensure_topics(settings, [TOPICS.kills])
    send(settings, ["before"])
    with TopicTail(settings, [TOPICS.kills]) as tail:
        reached, records = tail.catch_up()
        assert reached and "before" in [record.key_str for record in records]
        tail.rest()
        assert tail._gate.resting
        raw_send(settings, "after")  # no ring; catching up must not wait for the probe
        reached, records = tail.catch_up()
        assert reached and [record.key_str for record in records] == ["after"]


def test_partitions_the_application_resumes_are_read_before_the_gate_rests(
    kafka_settings: KafkaSettings,
) -> None:
    # No probe in time: a gate resting right after the resume would never read them.
    settings = kafka_settings.model_copy(update={"idle_after": 0.3, "idle_probe": 3600.0})
    ensure_topics(settings, [TOPICS.kills])
    with KafkaConsumer(settings, f"idle-{uuid.uuid4().hex}") as consumer:
        consumer.subscribe([TOPICS.kills])
        poll_until(lambda: consumer.poll_batch(100, 0.1), lambda: bool(consumer.assignment()), 30)
        held = consumer.assignment()
        consumer.pause(held)
        raw_send(settings, "while-paused")  # another process' record: no ring
        started = time.monotonic()
        while time.monotonic() - started < 1.0:  # longer than idle_after, all paused
            assert consumer.poll_batch(100, 0.1) == []
        consumer.resume(held)
        records: list = []
        deadline = time.monotonic() + 30
        while not records:
            assert time.monotonic() < deadline, "the resumed partitions were never read"
            records = consumer.poll_batch(100, 0.1)
        assert [record.key_str for record in records] == ["while-paused"]
