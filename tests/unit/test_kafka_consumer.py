from __future__ import annotations

import confluent_kafka
import pytest

from orchestrator.kafka import ConsumeError, KafkaConsumer, TopicError
from orchestrator.kafka.idle import FetchGate
from orchestrator.settings import KafkaSettings

Raw = confluent_kafka.KafkaError


def message(offset: int, error: int | None = None) -> confluent_kafka.Message:
    return confluent_kafka.Message(
        topic="kestrel.kills",
        partition=1,
        offset=offset,
        key=b"k",
        value=b"{}",
        error=Raw(error) if error is not None else None,
        timestamp=(confluent_kafka.TIMESTAMP_CREATE_TIME, 1000 + offset),
    )


class FakeConsumer:
    """Hands out prepared batches: poll() gives the first message, consume() the rest."""

    def __init__(self, batches: list[list[confluent_kafka.Message]]):
        self.batches = batches
        self.current: list[confluent_kafka.Message] = []

    def poll(self, timeout: float) -> confluent_kafka.Message | None:
        self.current = self.batches.pop(0) if self.batches else []
        return self.current.pop(0) if self.current else None

    def consume(self, num_messages: int, timeout: float) -> list[confluent_kafka.Message]:
        taken, self.current = self.current[:num_messages], self.current[num_messages:]
        return taken

    def assignment(self) -> list[confluent_kafka.TopicPartition]:
        return []  # nothing assigned: no lag to measure

    def position(
        self, partitions: list[confluent_kafka.TopicPartition]
    ) -> list[confluent_kafka.TopicPartition]:
        return partitions

    def close(self) -> None:
        pass


def consumer_with(batches: list[list[confluent_kafka.Message]]) -> KafkaConsumer:
    consumer = KafkaConsumer(KafkaSettings(bootstrap="127.0.0.1:1"), "g")
    consumer.raw.close()
    fake = FakeConsumer(batches)
    consumer._consumer = fake  # type: ignore[assignment]
    consumer._gate = FetchGate(fake, idle_after=None)  # type: ignore[arg-type]
    return consumer


def test_records_before_an_error_are_returned_first() -> None:
    consumer = consumer_with(
        [[message(0), message(1), message(2, Raw._MAX_POLL_EXCEEDED), message(3)], [message(3)]]
    )
    first = consumer.poll_batch(10, 0.1)
    assert [r.offset for r in first] == [0, 1]
    assert first[0].timestamp == 1000
    with pytest.raises(ConsumeError) as caught:
        consumer.poll_batch(10, 0.1)
    assert caught.value.code == "_MAX_POLL_EXCEEDED" and caught.value.partition == 1
    assert [r.offset for r in consumer.poll_batch(10, 0.1)] == [3]


def test_partition_eof_is_skipped_and_unknown_topic_is_a_topic_error() -> None:
    consumer = consumer_with(
        [[message(5, Raw._PARTITION_EOF), message(6)], [message(0, Raw.UNKNOWN_TOPIC_OR_PART)]]
    )
    assert [r.offset for r in consumer.poll_batch(10, 0.1)] == [6]
    with pytest.raises(TopicError, match="kestrel.kills"):
        consumer.poll_batch(10, 0.1)
    assert consumer.poll_batch(10, 0.1) == []


def test_batch_size_is_respected() -> None:
    consumer = consumer_with([[message(n) for n in range(5)]])
    assert [r.offset for r in consumer.poll_batch(3, 0.1)] == [0, 1, 2]
