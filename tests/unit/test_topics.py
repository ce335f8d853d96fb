from __future__ import annotations

import dataclasses

import pytest

from orchestrator.kafka import TOPICS, TopicRegistry, Topics, partition_for
from orchestrator.kafka.topics import SEVEN_DAYS_MS
from orchestrator.models import Execution
from orchestrator.models.execution import TaskRunRecord
from orchestrator.models.messages import (
    CreateExecution,
    DeadLetter,
    FlowRecord,
    KillNotice,
    LogEntry,
    MetricEntry,
    ServiceInstance,
    TriggerState,
    WorkerInstance,
    WorkerTask,
    WorkerTaskResult,
)
from orchestrator.settings import KafkaSettings

# docs/architecture.md section 2: logical name -> cleanup policy.
ARCHITECTURE = {
    "flows": "compact",
    "flow-revisions": "compact",
    "execution-commands": "delete",
    "executions": "compact",
    "task-runs": "compact",  # the task runs of long executions, one record per run
    "worker-tasks": "delete",
    "worker-results": "delete",
    "worker-heartbeats": "compact",
    "instances": "compact",  # departure: per-incarnation transactional ids (kafka/incarnations)
    "kills": "delete",
    # departure: global concurrency limits, one admission owner per flow
    "concurrency-requests": "delete",
    "concurrency-slots": "compact",
    "triggers": "compact",
    "trigger-commands": "delete",  # scheduler: commands and execution ends, by trigger
    "kv": "compact",
    "logs": "delete",
    "metrics": "delete",
    "dead-letters": "delete",
}


def test_registry_matches_the_architecture() -> None:
    assert {spec.logical: spec.cleanup_policy for spec in TOPICS} == ARCHITECTURE
    assert len(TOPICS) == len(TOPICS.all()) == len(ARCHITECTURE)


def test_attribute_and_logical_name_agree() -> None:
    for field in dataclasses.fields(TOPICS):
        spec = getattr(TOPICS, field.name)
        assert spec.logical == field.name.replace("_", "-")
        assert TOPICS.get(spec.logical) is spec
    with pytest.raises(KeyError, match="unknown topic"):
        TOPICS.get("execution")


def test_execution_topics_are_copartitioned() -> None:
    copartitioned = {spec.logical for spec in TOPICS if spec.copartitioned}
    assert copartitioned == {"execution-commands", "executions", "worker-results", "task-runs"}
    assert len({TOPICS.get(name).partitions_for(12) for name in copartitioned}) == 1
    # task-runs is keyed by execution and task run, and produced to its execution's partition
    keys = {TOPICS.get(name).key for name in copartitioned}
    assert keys == {"execution id", "execution id/task run id"}


def test_registry_refuses_copartitioned_topics_with_different_counts() -> None:
    with pytest.raises(ValueError, match="co-partitioned"):
        dataclasses.replace(TOPICS, executions=dataclasses.replace(TOPICS.executions, partitions=6))


def test_retention_of_logs_and_metrics() -> None:
    assert TOPICS.logs.topic_configs() == {"cleanup.policy": "delete", "retention.ms": "604800000"}
    assert TOPICS.metrics.retention_ms == SEVEN_DAYS_MS == 7 * 24 * 3600 * 1000
    assert TOPICS.executions.topic_configs() == {"cleanup.policy": "compact"}


def test_partitions_default_to_settings() -> None:
    assert TOPICS.executions.partitions_for(12) == 12
    assert dataclasses.replace(TOPICS.kills, partitions=1).partitions_for(12) == 1


@pytest.mark.parametrize(
    ("spec", "model"),
    [
        (TOPICS.flows, FlowRecord),
        (TOPICS.flow_revisions, FlowRecord),
        (TOPICS.executions, Execution),
        (TOPICS.task_runs, TaskRunRecord),
        (TOPICS.worker_tasks, WorkerTask),
        (TOPICS.worker_results, WorkerTaskResult),
        (TOPICS.worker_heartbeats, WorkerInstance),
        (TOPICS.instances, ServiceInstance),
        (TOPICS.kills, KillNotice),
        (TOPICS.triggers, TriggerState),
        (TOPICS.logs, LogEntry),
        (TOPICS.metrics, MetricEntry),
        (TOPICS.dead_letters, DeadLetter),
    ],
)
def test_value_models(spec: object, model: type) -> None:
    assert spec.value_type is model  # type: ignore[attr-defined]
    assert spec.adapter.json_schema()["title"] == model.__name__  # type: ignore[attr-defined]


def test_execution_commands_take_the_union() -> None:
    command = TOPICS.execution_commands.adapter.validate_python(
        {"type": "create", "executionId": "e", "namespace": "n", "flowId": "f"}
    )
    assert isinstance(command, CreateExecution)


def test_full_names() -> None:
    topics = Topics("kestrel.")
    assert topics.executions == "kestrel.executions"
    assert topics.worker_results == "kestrel.worker-results"
    assert topics.name("dead-letters") == "kestrel.dead-letters"
    assert topics.name(TOPICS.flow_revisions) == "kestrel.flow-revisions"
    assert topics.spec_of("kestrel.execution-commands") is TOPICS.execution_commands
    assert len(topics.names()) == len(TOPICS) == 18
    assert Topics.from_settings(KafkaSettings(topic_prefix="prod.")).kills == "prod.kills"
    with pytest.raises(AttributeError):
        _ = topics.execution
    with pytest.raises(KeyError):
        topics.spec_of("other.executions")


@pytest.mark.parametrize("prefix", ["kestrel_", "with space."])
def test_bad_prefix(prefix: str) -> None:
    with pytest.raises(ValueError, match="invalid topic prefix"):
        Topics(prefix)


def test_registry_type_is_exported() -> None:
    assert isinstance(TOPICS, TopicRegistry)


# Kafka's UtilsTest vectors for the Java client's Utils.murmur2.
JAVA_MURMUR2 = {
    "21": -973932308,
    "foobar": -790332482,
    "a-little-bit-long-string": -985981536,
    "a-little-bit-longer-string": -1486304829,
    "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    "abc": 479470107,
}


@pytest.mark.parametrize(("key", "java_hash"), JAVA_MURMUR2.items())
def test_partition_for_matches_java_clients(key: str, java_hash: int) -> None:
    # Java: toPositive(murmur2(key)) % partitions; a huge prime count exposes the whole hash.
    partitions = 2**31 - 1
    assert partition_for(key, partitions) == (java_hash & 0x7FFFFFFF) % partitions
    assert partition_for(key, 12) == (java_hash & 0x7FFFFFFF) % 12
