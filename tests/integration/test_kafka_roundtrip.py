from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import confluent_kafka
import pytest
from kafka_samples import T0, every_message

from orchestrator.kafka import (
    TOPICS,
    DeserializationError,
    KafkaConsumer,
    KafkaProducer,
    Record,
    TopicError,
    TopicSpec,
    ensure_topics,
    partition_for,
    read_topic_to_end,
)
from orchestrator.models.messages import FlowRecord
from orchestrator.settings import KafkaSettings

pytestmark = pytest.mark.integration


def consume_until(
    consumer: KafkaConsumer, done: Callable[[list[Record]], bool], timeout: float = 20.0
) -> list[Record]:
    """Poll until ``done(records so far)`` holds; fail after ``timeout`` seconds."""
    records: list[Record] = []
    deadline = time.monotonic() + timeout
    while not done(records):
        assert time.monotonic() < deadline, f"condition not met; got {len(records)} records"
        records += consumer.poll_batch(500, 0.5)
    return records


def test_every_message_survives_a_real_round_trip(kafka_settings: KafkaSettings) -> None:
    ensure_topics(kafka_settings)
    samples = every_message()
    with KafkaProducer(kafka_settings) as producer:
        for spec, key, model in samples:
            producer.send(spec, key, model, headers={"sample": spec.logical})
        producer.flush()

    with KafkaConsumer(kafka_settings, f"roundtrip-{uuid.uuid4().hex}") as consumer:
        consumer.subscribe(TOPICS)
        records = consume_until(consumer, lambda got: len(got) >= len(samples))

    assert len(records) == len(samples)
    by_topic: dict[str, list[object]] = {}
    for record in records:
        spec = consumer.topics.spec_of(record.topic)
        by_topic.setdefault(record.topic, []).append((record.key_str, record.decoded_value(spec)))
    for spec, key, model in samples:
        assert (key, model) in by_topic[consumer.topics.name(spec)], spec.logical
    for record in records:
        spec = consumer.topics.spec_of(record.topic)
        assert record.header("sample") == spec.logical.encode()
        assert record.timestamp is not None and record.timestamp > T0.timestamp() * 1000 - 1


def test_same_key_same_partition_in_order(kafka_settings: KafkaSettings) -> None:
    ensure_topics(kafka_settings, [TOPICS.worker_results])
    samples = [s for s in every_message() if s[0] is TOPICS.worker_results]
    spec, _, result = samples[0]
    keys = [f"exec-{n}" for n in range(20)]
    with KafkaProducer(kafka_settings) as producer:
        for attempt in (1, 2, 3):
            for key in keys:
                producer.send(spec, key, result.model_copy(update={"attempt": attempt}))
    with KafkaConsumer(kafka_settings, f"order-{uuid.uuid4().hex}") as consumer:
        consumer.subscribe([spec])
        records = consume_until(consumer, lambda got: len(got) >= 60)
    partitions: dict[str, set[int]] = {}
    attempts: dict[str, list[int]] = {}
    for record in records:
        key = record.key_str or ""
        partitions.setdefault(key, set()).add(record.partition)
        attempts.setdefault(key, []).append(record.decoded_value(spec).attempt)
    assert all(p == {partition_for(k, kafka_settings.partitions)} for k, p in partitions.items())
    assert all(a == [1, 2, 3] for a in attempts.values())
    assert len({p for ps in partitions.values() for p in ps}) > 1  # keys spread out


def flow(name: str, revision: int) -> FlowRecord:
    return FlowRecord(
        namespace="team", id=name, revision=revision, source=f"id: {name}", flow={"id": name}
    )


def test_read_compacted_topic_to_end(kafka_settings: KafkaSettings) -> None:
    spec: TopicSpec[FlowRecord] = TOPICS.flows
    ensure_topics(kafka_settings, [spec])
    assert read_topic_to_end(kafka_settings, spec, timeout=20) == {}
    with KafkaProducer(kafka_settings) as producer:
        for n in range(10):
            producer.send(spec, f"team/f{n}", flow(f"f{n}", 1))
        producer.send(spec, "team/f1", flow("f1", 2))
        producer.send(spec, "team/f2", None)  # tombstone: flow deleted
        producer.send(spec, "team/f3", None)
        producer.send(spec, "team/f3", flow("f3", 5))  # re-created after delete
    latest = read_topic_to_end(kafka_settings, spec, timeout=20)
    assert set(latest) == {f"team/f{n}" for n in range(10)} - {"team/f2"}
    assert latest["team/f1"].revision == 2
    assert latest["team/f3"].revision == 5
    assert latest["team/f0"] == flow("f0", 1).model_copy(
        update={"updated": latest["team/f0"].updated}
    )

    # Only some partitions: the union over all partitions gives the same view.
    union: dict[str, FlowRecord] = {}
    for partition in range(kafka_settings.partitions):
        union |= read_topic_to_end(kafka_settings, spec, partitions=[partition], timeout=20)
    assert union == latest


def test_read_to_end_decodes_only_the_latest_value_of_each_key(
    kafka_settings: KafkaSettings,
) -> None:
    spec: TopicSpec[FlowRecord] = TOPICS.flows
    ensure_topics(kafka_settings, [spec])
    name = f"{kafka_settings.topic_prefix}flows"
    raw = confluent_kafka.Producer({"bootstrap.servers": kafka_settings.bootstrap})
    raw.produce(
        name,
        b"not json",
        b"team/fixed",
        partition=partition_for("team/fixed", kafka_settings.partitions),
    )
    raw.flush(10)
    with KafkaProducer(kafka_settings) as producer:
        producer.send(spec, "team/fixed", flow("fixed", 2))  # supersedes the bad one
    assert read_topic_to_end(kafka_settings, spec, timeout=20)["team/fixed"].revision == 2

    raw.produce(
        name,
        b"not json",
        b"team/broken",
        partition=partition_for("team/broken", kafka_settings.partitions),
    )
    raw.flush(10)
    with pytest.raises(DeserializationError):  # the latest value itself is unreadable
        read_topic_to_end(kafka_settings, spec, timeout=20)


def test_read_missing_topic(kafka_settings: KafkaSettings) -> None:
    with pytest.raises(TopicError, match="flows"):
        read_topic_to_end(kafka_settings, TOPICS.flows, timeout=10)
    ensure_topics(kafka_settings, [TOPICS.flows])
    with pytest.raises(TopicError, match="no partition"):
        read_topic_to_end(kafka_settings, TOPICS.flows, partitions=[999], timeout=10)
