"""KafkaProducer.deliver: each caller waits for its own record, from many threads at once."""

from __future__ import annotations

import threading
import uuid

import pytest

from orchestrator.kafka import TOPICS, KafkaProducer, ProduceError, TopicTail, ensure_topics
from orchestrator.models.messages import KillNotice
from orchestrator.settings import KafkaSettings

pytestmark = pytest.mark.integration


def test_concurrent_deliveries_are_each_acknowledged_once(kafka_settings: KafkaSettings) -> None:
    ensure_topics(kafka_settings, [TOPICS.kills])
    keys = [f"deliver-{uuid.uuid4().hex[:8]}-{index}" for index in range(80)]
    errors: list[BaseException] = []
    with KafkaProducer(kafka_settings) as producer:

        def sender(chunk: list[str]) -> None:
            try:
                for key in chunk:
                    producer.deliver(TOPICS.kills, key, KillNotice(execution_id=key), 10.0)
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=sender, args=(keys[i::8],)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    with TopicTail(kafka_settings, [TOPICS.kills]) as tail:
        _, records = tail.catch_up(30)
    delivered = [record.key_str for record in records if record.key_str in set(keys)]
    assert sorted(delivered) == sorted(keys)


def test_a_refused_record_fails_its_own_delivery_only(kafka_settings: KafkaSettings) -> None:
    ensure_topics(kafka_settings, [TOPICS.kills])
    huge = KillNotice(execution_id="x" * (kafka_settings.message_max_bytes + 10))
    with KafkaProducer(kafka_settings) as producer:
        with pytest.raises(ProduceError):
            producer.deliver(TOPICS.kills, "too-big", huge, 10.0)
        producer.deliver(TOPICS.kills, "fine", KillNotice(execution_id="fine"), 10.0)


def test_one_off_commands_share_one_producer_across_topic_prefixes(
    kafka_settings: KafkaSettings,
) -> None:
    from orchestrator.kafka import commands

    other = kafka_settings.model_copy(update={"topic_prefix": f"other.{uuid.uuid4().hex[:8]}."})
    for settings in (kafka_settings, other):
        ensure_topics(settings, [TOPICS.kills])
    commands.send_command(kafka_settings, TOPICS.kills, "mine", KillNotice(execution_id="mine"))
    shared = dict(commands._PRODUCERS)
    commands.send_commands(
        other, TOPICS.kills, [(key, KillNotice(execution_id=key)) for key in ("a", "b")]
    )
    # The second cluster-wide sender is the first one: no new producer, no new 500 ms wait.
    assert shared == commands._PRODUCERS and len(shared) >= 1
    for settings, wanted in ((kafka_settings, ["mine"]), (other, ["a", "b"])):
        with TopicTail(settings, [TOPICS.kills]) as tail:
            _, records = tail.catch_up(30)
        assert [record.key_str for record in records] == wanted


def test_a_refused_one_off_command_raises(kafka_settings: KafkaSettings) -> None:
    from orchestrator.kafka import send_command

    ensure_topics(kafka_settings, [TOPICS.kills])
    huge = KillNotice(execution_id="x" * (kafka_settings.message_max_bytes + 10))
    with pytest.raises(ProduceError):
        send_command(kafka_settings, TOPICS.kills, "too-big", huge)
