from __future__ import annotations

import time

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from orchestrator.kafka import (
    TOPICS,
    BrokerUnreachableError,
    TopicError,
    Topics,
    describe_topics,
    ensure_topics,
)
from orchestrator.kafka.topics import SEVEN_DAYS_MS
from orchestrator.settings import KafkaSettings, KestrelSettings

pytestmark = pytest.mark.integration


def test_ensure_topics_creates_every_topic_once(kafka_settings: KafkaSettings) -> None:
    topics = Topics.from_settings(kafka_settings)
    assert all(not d.exists for d in describe_topics(kafka_settings))

    created = ensure_topics(kafka_settings)
    assert sorted(created) == sorted(topics.names())
    assert all(name.startswith(kafka_settings.topic_prefix) for name in created)
    assert ensure_topics(kafka_settings) == []  # idempotent

    described = {d.spec.logical: d for d in describe_topics(kafka_settings)}
    assert set(described) == {spec.logical for spec in TOPICS}
    for spec in TOPICS:
        description = described[spec.logical]
        assert description.exists
        assert description.name == topics.name(spec)
        assert description.partitions == spec.partitions_for(kafka_settings.partitions)
        assert description.replication_factor == 1
        assert description.configs["cleanup.policy"] == spec.cleanup_policy
        assert description.problems == ()
    for logical in ("logs", "metrics"):
        assert described[logical].configs["retention.ms"] == str(SEVEN_DAYS_MS)
    copartitioned = {
        described[name].partitions
        for name in ("execution-commands", "executions", "worker-results")
    }
    assert len(copartitioned) == 1


def test_ensure_some_topics_leaves_existing_ones(settings: KestrelSettings) -> None:
    prefix = settings.kafka.topic_prefix
    assert ensure_topics(settings, [TOPICS.flows]) == [prefix + "flows"]
    assert ensure_topics(settings, [TOPICS.flows, TOPICS.triggers]) == [prefix + "triggers"]
    assert [d.exists for d in describe_topics(settings, [TOPICS.triggers, TOPICS.kills])] == [
        True,
        False,
    ]


def test_different_partition_counts_on_execution_topics_are_refused(
    kafka_settings: KafkaSettings,
) -> None:
    name = Topics.from_settings(kafka_settings).executions
    admin = AdminClient({"bootstrap.servers": kafka_settings.bootstrap})
    admin.create_topics([NewTopic(name, kafka_settings.partitions + 1, 1)])[name].result(10)
    with pytest.raises(TopicError, match="co-partitioned topics have different partition counts"):
        ensure_topics(kafka_settings)
    described = {d.spec.logical: d for d in describe_topics(kafka_settings)}
    problems = described["executions"].problems
    assert any("partitions" in problem for problem in problems)
    assert any("cleanup.policy=delete" in problem for problem in problems)


def test_unreachable_broker_fails_fast() -> None:
    settings = KafkaSettings(bootstrap="127.0.0.1:1", admin_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(BrokerUnreachableError) as caught:
        ensure_topics(settings)
    assert time.monotonic() - started < 5
    assert "127.0.0.1:1" in str(caught.value)
    with pytest.raises(BrokerUnreachableError):
        describe_topics(settings, timeout=0.5)
