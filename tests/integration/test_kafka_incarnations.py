"""A new incarnation fences the previous one, and what it writes stays visible to readers."""

from __future__ import annotations

import time

import pytest

from orchestrator.kafka import (
    TOPICS,
    KafkaProducer,
    ProducerFencedError,
    TopicTail,
    claim_transactional_id,
    ensure_topics,
    group_id,
    previous_incarnation,
)
from orchestrator.models.messages import KillNotice
from orchestrator.settings import KafkaSettings

pytestmark = pytest.mark.integration


def _notice(label: str) -> KillNotice:
    return KillNotice(execution_id="e1", task_run_ids=[label])


def _send(producer: KafkaProducer, label: str) -> None:
    # One partition: a reader that sees a later label has read past every earlier offset.
    producer.send(TOPICS.kills, "e1", _notice(label), partition=0)


def _read_until(tail: TopicTail, seen: list[str], label: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while label not in seen:
        assert time.monotonic() < deadline, f"{label!r} never became visible; saw {seen}"
        for record in tail.poll(timeout=0.2):
            notice = record.decoded(TOPICS.kills)
            if notice is not None:
                seen += notice.task_run_ids


def test_a_restart_after_a_crash_mid_transaction_stays_visible(
    kafka_settings: KafkaSettings,
) -> None:
    ensure_topics(kafka_settings, [TOPICS.kills, TOPICS.instances])
    crashed = KafkaProducer(
        kafka_settings,
        transactional_id=claim_transactional_id(kafka_settings, "executor", "e-0", "first"),
    )
    seen: list[str] = []
    with TopicTail(kafka_settings, [TOPICS.kills]) as tail:
        with crashed.transaction():
            _send(crashed, "before")
        _read_until(tail, seen, "before")  # the reader now waits at the end of the log
        crashed.begin()
        _send(crashed, "lost")
        crashed.flush()  # on the broker, in a transaction that will never end by itself

        restarted_id = claim_transactional_id(kafka_settings, "executor", "e-0", "second")
        with KafkaProducer(kafka_settings, transactional_id=restarted_id) as restarted:
            # Each commit is read in its own fetch, after the abort marker: a producer that
            # reused the crashed one's producer id would be filtered out here (noida-db).
            for label in ("after-1", "after-2"):
                with restarted.transaction():
                    _send(restarted, label)
                _read_until(tail, seen, label)
            with pytest.raises(ProducerFencedError):
                crashed.commit()  # the crashed incarnation, had it survived, is a zombie
        crashed.close()
    assert seen == ["before", "after-1", "after-2"]
    registered = previous_incarnation(kafka_settings, "executor", "e-0")
    assert registered is not None and registered.transactional_id == restarted_id
    assert registered.incarnation == "second"


def test_the_first_incarnation_ends_what_the_pre_incarnation_id_left_open(
    kafka_settings: KafkaSettings,
) -> None:
    ensure_topics(kafka_settings, [TOPICS.kills, TOPICS.instances])
    legacy_id = group_id(kafka_settings.topic_prefix, "executor-upgraded-0")
    legacy = KafkaProducer(kafka_settings, transactional_id=legacy_id)  # before an upgrade
    legacy.begin()
    _send(legacy, "stuck")
    legacy.flush()
    claimed = claim_transactional_id(kafka_settings, "executor", "upgraded-0", "first")
    seen: list[str] = []
    with (
        KafkaProducer(kafka_settings, transactional_id=claimed) as producer,
        TopicTail(kafka_settings, [TOPICS.kills]) as tail,
    ):
        with producer.transaction():
            _send(producer, "visible")
        _read_until(tail, seen, "visible")  # the open transaction no longer holds readers
    assert seen == ["visible"]
    with pytest.raises(ProducerFencedError):
        legacy.commit()
    legacy.close()


def test_instances_of_different_roles_do_not_fence_each_other(
    kafka_settings: KafkaSettings,
) -> None:
    ensure_topics(kafka_settings, [TOPICS.kills, TOPICS.instances])
    executor_id = claim_transactional_id(kafka_settings, "executor", "node-1", "a")
    worker_id = claim_transactional_id(kafka_settings, "workers", "node-1", "b")
    assert executor_id != worker_id
    with KafkaProducer(kafka_settings, transactional_id=executor_id) as executor:
        claim_transactional_id(kafka_settings, "workers", "node-1", "c")  # the worker restarts
        with executor.transaction():  # the executor is untouched by it
            _send(executor, "still-mine")


def test_catch_up_reads_to_the_end_every_partition_had(kafka_settings: KafkaSettings) -> None:
    ensure_topics(kafka_settings, [TOPICS.kills])
    with KafkaProducer(kafka_settings) as producer:
        for index in range(40):  # spread over every partition by key
            producer.send(TOPICS.kills, f"e{index}", _notice(str(index)))
        producer.flush()
    with TopicTail(kafka_settings, [TOPICS.kills]) as tail:
        caught_up, records = tail.catch_up(timeout=15)
        assert caught_up
        assert len(records) == 40
        assert tail.catch_up(timeout=1) == (True, [])  # nothing new: at once
