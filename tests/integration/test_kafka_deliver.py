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
