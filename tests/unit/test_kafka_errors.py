from __future__ import annotations

import confluent_kafka
import pytest

from orchestrator.errors import OrchestratorError
from orchestrator.kafka import (
    BrokerUnreachableError,
    ConsumeError,
    KafkaError,
    ProduceError,
    ProducerFencedError,
    TopicError,
    TransactionError,
    from_confluent,
)

Raw = confluent_kafka.KafkaError


def test_every_error_is_an_orchestrator_error() -> None:
    assert issubclass(KafkaError, OrchestratorError)
    assert issubclass(ProducerFencedError, TransactionError)


def test_unreachable_broker_names_servers_and_what_to_check() -> None:
    raw = Raw(Raw._TRANSPORT, "Broker transport failure", retriable=True)
    error = from_confluent(
        confluent_kafka.KafkaException(raw), "admin", bootstrap="k1:9092,k2:9092", timeout=2.5
    )
    assert isinstance(error, BrokerUnreachableError)
    assert error.bootstrap == "k1:9092,k2:9092"
    assert "k1:9092,k2:9092" in str(error) and "2.5 s" in str(error)
    assert "KESTREL_KAFKA_BOOTSTRAP" in str(error)


def test_fenced() -> None:
    for code in (Raw._FENCED, Raw.PRODUCER_FENCED):
        error = from_confluent(Raw(code, "fenced", fatal=True), "transaction")
        assert isinstance(error, ProducerFencedError)
        assert error.fatal and not error.abortable


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"retriable": True}, (True, False, False)),
        ({"txn_requires_abort": True}, (False, True, False)),
        ({"fatal": True}, (False, False, True)),
    ],
)
def test_transaction_flags(flags: dict[str, bool], expected: tuple[bool, bool, bool]) -> None:
    error = from_confluent(Raw(Raw._TIMED_OUT, "txn", **flags), "transaction")
    assert type(error) is TransactionError
    assert (error.retriable, error.abortable, error.fatal) == expected


def test_abortable_error_during_produce_is_a_transaction_error() -> None:
    error = from_confluent(Raw(Raw._STATE, "x", txn_requires_abort=True), "produce", topic="t")
    assert isinstance(error, TransactionError) and error.abortable


def test_topic_produce_consume_mapping() -> None:
    exists = from_confluent(Raw(Raw.TOPIC_ALREADY_EXISTS), "admin", topic="kestrel.flows")
    assert isinstance(exists, TopicError) and exists.code == "TOPIC_ALREADY_EXISTS"
    assert exists.topic == "kestrel.flows"
    produce = from_confluent(Raw(Raw.MSG_SIZE_TOO_LARGE), "produce", topic="t", key="k")
    assert isinstance(produce, ProduceError)
    assert (produce.topic, produce.key) == ("t", "k")
    consume = from_confluent(Raw(Raw._MAX_POLL_EXCEEDED), "consume", topic="t", partition=3)
    assert isinstance(consume, ConsumeError) and consume.partition == 3
    other = from_confluent(RuntimeError("boom"), "admin")
    assert type(other) is KafkaError and "boom" in str(other)
