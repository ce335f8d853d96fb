from __future__ import annotations

import base64
import time
import uuid

import confluent_kafka
import pytest
from kafka_samples import EXECUTION_ID

from orchestrator.kafka import (
    TOPICS,
    DeserializationError,
    KafkaConsumer,
    KafkaProducer,
    ProduceError,
    ProducerFencedError,
    Record,
    TopicError,
    TopicPartition,
    TransactionError,
    dead_letter,
    decode,
    encode,
    ensure_topics,
)
from orchestrator.models.messages import KillExecution, KillNotice, LogEntry
from orchestrator.settings import KafkaSettings

pytestmark = pytest.mark.integration


def drain(consumer: KafkaConsumer, expected: int, timeout: float = 20.0) -> list[Record]:
    """Poll until ``expected`` records arrived, then once more to catch any surplus."""
    records: list[Record] = []
    deadline = time.monotonic() + timeout
    while len(records) < expected:
        assert time.monotonic() < deadline, f"got {len(records)} of {expected} records"
        records += consumer.poll_batch(500, 0.5)
    records += consumer.poll_batch(500, 0.3)
    return records


def kill(execution_id: str) -> KillNotice:
    return KillNotice(execution_id=execution_id)


def group() -> str:
    return f"test-{uuid.uuid4().hex}"


def test_committed_transaction_visible_aborted_one_not(kafka_settings: KafkaSettings) -> None:
    ensure_topics(kafka_settings, [TOPICS.kills])

    def send(producer: KafkaProducer, key: str) -> None:
        # One partition, so reading "committed-3" means the aborted offsets were passed.
        producer.send(TOPICS.kills, key, kill(key), partition=0)

    with KafkaProducer(kafka_settings, transactional_id=f"tx-{uuid.uuid4().hex}") as producer:
        with producer.transaction():
            send(producer, "committed-1")
            send(producer, "committed-2")
        with pytest.raises(RuntimeError, match="batch failed"), producer.transaction():
            send(producer, "aborted-1")
            raise RuntimeError("batch failed")
        producer.begin()
        send(producer, "aborted-2")
        producer.abort()
        with KafkaProducer(kafka_settings, transactional_id=f"tx-{uuid.uuid4().hex}") as other:
            other.begin()
            send(other, "abandoned")  # closed with the transaction open: aborted
        with producer.transaction():
            send(producer, "committed-3")

    with KafkaConsumer(kafka_settings, group()) as consumer:
        consumer.subscribe([TOPICS.kills])
        keys = [r.key_str for r in drain(consumer, 3)]
    assert keys == ["committed-1", "committed-2", "committed-3"]


@pytest.mark.parametrize("from_records", [False, True], ids=["positions", "records"])
def test_consume_transform_produce_commits_offsets_in_the_transaction(
    kafka_settings: KafkaSettings, from_records: bool
) -> None:
    ensure_topics(kafka_settings, [TOPICS.execution_commands, TOPICS.kills])
    with KafkaProducer(kafka_settings) as feeder:
        for n in range(10):
            feeder.send(TOPICS.execution_commands, f"e{n}", KillExecution(execution_id=f"e{n}"))
    group_id = group()
    with (
        KafkaConsumer(kafka_settings, group_id, instance_id="executor-0") as consumer,
        KafkaProducer(kafka_settings, transactional_id="executor-0-" + group_id) as producer,
    ):
        consumer.subscribe([TOPICS.execution_commands])
        records = drain(consumer, 10)
        with producer.transaction():
            for record in records:
                command = record.decoded_value(TOPICS.execution_commands)
                producer.send(TOPICS.kills, record.key_str or "", kill(command.execution_id))
            producer.send_offsets(consumer, records=records if from_records else None)
        committed = consumer.raw.committed(
            [tp.to_confluent() for tp in consumer.assignment()], timeout=10
        )
    assert sum(tp.offset for tp in committed if tp.offset > 0) == 10
    with KafkaConsumer(kafka_settings, group()) as reader:
        reader.subscribe([TOPICS.kills])
        assert len(drain(reader, 10)) == 10
    # The group resumes after the committed offsets: only a new command is read.
    with KafkaProducer(kafka_settings) as feeder:
        feeder.send(TOPICS.execution_commands, "e3", KillExecution(execution_id="new"))
    with KafkaConsumer(kafka_settings, group_id, instance_id="executor-0") as again:
        again.subscribe([TOPICS.execution_commands])
        [record] = drain(again, 1)
    assert record.decoded_value(TOPICS.execution_commands) == KillExecution(execution_id="new")


def test_a_newer_producer_fences_the_older_one(kafka_settings: KafkaSettings) -> None:
    ensure_topics(kafka_settings, [TOPICS.kills])
    transactional_id = f"tx-{uuid.uuid4().hex}"
    old = KafkaProducer(kafka_settings, transactional_id=transactional_id)
    old.begin()
    old.send(TOPICS.kills, "k", kill("k"))
    KafkaProducer(kafka_settings, transactional_id=transactional_id)
    with pytest.raises(ProducerFencedError) as caught:
        old.commit()
    assert caught.value.fatal
    assert isinstance(caught.value, TransactionError)


def test_transactional_calls_need_a_transactional_producer(kafka_settings: KafkaSettings) -> None:
    with pytest.raises(TransactionError, match="no transactional id"):
        KafkaProducer(kafka_settings).begin()


def test_bad_bytes_become_a_dead_letter(kafka_settings: KafkaSettings) -> None:
    ensure_topics(kafka_settings, [TOPICS.worker_results, TOPICS.dead_letters])
    topic = kafka_settings.topic_prefix + "worker-results"
    raw = confluent_kafka.Producer({"bootstrap.servers": kafka_settings.bootstrap})
    raw.produce(topic, key=EXECUTION_ID.encode(), value=b'{"type":"worker-result","version":1}')
    raw.produce(topic, key=b"binary", value=b"\x00\xff\xfe")
    assert raw.flush(10) == 0

    with KafkaConsumer(kafka_settings, group()) as consumer:
        consumer.subscribe([TOPICS.worker_results])
        records = sorted(drain(consumer, 2), key=lambda r: r.key or b"")
    letters = []
    for record in records:
        with pytest.raises(DeserializationError) as caught:
            record.decoded(TOPICS.worker_results)
        error = caught.value
        assert (error.topic, error.partition, error.offset) == (
            record.topic,
            record.partition,
            record.offset,
        )
        letters.append(dead_letter(record, error, "executor"))
    by_key = {letter.key: letter for letter in letters}
    text, binary = by_key[EXECUTION_ID], by_key["binary"]
    assert text.value_encoding == "utf-8"
    assert text.value == '{"type":"worker-result","version":1}'
    assert "executionId: Field required" in text.error
    assert binary.value_encoding == "base64"
    assert base64.b64decode(binary.value or "") == b"\x00\xff\xfe"
    assert all(letter.service == "executor" and letter.topic == topic for letter in letters)

    with KafkaProducer(kafka_settings) as producer:
        for letter in letters:
            producer.send(TOPICS.dead_letters, letter.key or "", letter)
    with KafkaConsumer(kafka_settings, group()) as ops:
        ops.subscribe([TOPICS.dead_letters])
        stored = {r.decoded_value(TOPICS.dead_letters) for r in drain(ops, 2)}
    assert stored == set(letters)


def test_dead_letter_from_a_raw_message(kafka_settings: KafkaSettings) -> None:
    ensure_topics(kafka_settings, [TOPICS.logs])
    topic = kafka_settings.topic_prefix + "logs"
    raw = confluent_kafka.Producer({"bootstrap.servers": kafka_settings.bootstrap})
    raw.produce(topic, key=b"k", value=b"not json")
    raw.flush(10)
    consumer = confluent_kafka.Consumer(kafka_settings.consumer_config(group()))
    consumer.subscribe([topic])
    deadline = time.monotonic() + 20
    message = None
    while message is None or message.error() is not None:
        assert time.monotonic() < deadline
        message = consumer.poll(0.5)
    consumer.close()
    letter = dead_letter(message, "bad log line", "indexer")
    assert (letter.topic, letter.offset, letter.key, letter.value) == (topic, 0, "k", "not json")
    assert letter.partition == message.partition() and letter.error == "bad log line"
    assert decode(TOPICS.dead_letters, encode(letter)) == letter


def test_oversized_record_is_a_produce_error(kafka_settings: KafkaSettings) -> None:
    ensure_topics(kafka_settings, [TOPICS.logs])
    huge = LogEntry(execution_id="e", namespace="n", flow_id="f", message="x" * 2_000_000)
    with pytest.raises(ProduceError) as caught, KafkaProducer(kafka_settings) as producer:
        producer.send(TOPICS.logs, "e", huge)
    assert caught.value.topic == kafka_settings.topic_prefix + "logs"
    assert caught.value.key == "e"


def test_subscribing_to_a_missing_topic_is_a_topic_error(kafka_settings: KafkaSettings) -> None:
    with KafkaConsumer(kafka_settings, group()) as consumer:
        consumer.subscribe([TOPICS.triggers])
        deadline = time.monotonic() + 20
        with pytest.raises(TopicError, match="triggers"):
            while time.monotonic() < deadline:
                consumer.poll_batch(10, 0.5)


def test_assignment_callbacks_see_plain_partitions(kafka_settings: KafkaSettings) -> None:
    ensure_topics(kafka_settings, [TOPICS.kills])
    partitions = range(kafka_settings.partitions)
    with KafkaProducer(kafka_settings) as producer:
        for partition in partitions:
            for n in range(2):
                key = f"p{partition}-{n}"
                producer.send(TOPICS.kills, key, kill(key), partition=partition)
    assigned: list[TopicPartition] = []
    revoked: list[TopicPartition] = []

    def on_assign(new: list[TopicPartition]) -> list[TopicPartition]:
        assigned.extend(new)
        # Start partition 0 past its first record, as an executor resuming from a checkpoint.
        return [
            TopicPartition(tp.topic, tp.partition, 1 if tp.partition == 0 else None) for tp in new
        ]

    consumer = KafkaConsumer(kafka_settings, group())
    consumer.subscribe([TOPICS.kills], on_assign=on_assign, on_revoke=revoked.extend)
    records = drain(consumer, 2 * len(partitions) - 1)
    consumer.close()
    topic = kafka_settings.topic_prefix + "kills"
    assert sorted(tp.partition for tp in assigned) == list(partitions)
    assert all(tp.topic == topic and tp.offset is None for tp in assigned)
    assert sorted(tp.partition for tp in revoked) == list(partitions)
    assert len(records) == 2 * len(partitions) - 1
    assert "p0-0" not in {record.key_str for record in records}
