"""The one registry of Kestrel's topics (docs/architecture.md section 2).

A ``TopicSpec`` says everything about a topic except its prefix: logical name, key, value
model (with the module-level ``TypeAdapter`` that parses it), cleanup policy, partitions and
configs. ``TOPICS`` holds them all; ``Topics(prefix)`` turns them into full names. No topic
name is spelled anywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any, Generic, Literal, TypeVar

import confluent_kafka
from pydantic import TypeAdapter

from orchestrator.models.base import KestrelModel
from orchestrator.models.concurrency import ConcurrencyMessage, FlowSlots
from orchestrator.models.execution import Execution, TaskRunRecord
from orchestrator.models.kv import KvEntry
from orchestrator.models.messages import (
    DeadLetter,
    ExecutionCommand,
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
from orchestrator.models.trigger_commands import TriggerCommand
from orchestrator.settings import KafkaSettings, KestrelSettings, kafka_settings

ModelT = TypeVar("ModelT", bound=KestrelModel)

CleanupPolicy = Literal["compact", "delete"]

SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000
_PREFIX = re.compile(r"[A-Za-z0-9.\-]*")


def partition_for(key: str, partitions: int) -> int:
    """Return the partition Kestrel's producers (and Java clients) put ``key`` in.

    Producers use librdkafka's ``murmur2_random`` partitioner, which is Java's murmur2 for
    keyed records, so every process can compute which partition owns an execution.
    """
    return int(confluent_kafka.murmur2(key.encode("utf-8"), partitions))


@dataclass(frozen=True)
class TopicSpec(Generic[ModelT]):
    """One topic: what its records are and how it is created.

    Attributes:
        logical: Name without prefix (``executions``).
        key: What the key is (``execution id``), for docs and ``kestrel topics describe``.
        value_type: The value's model (or union of models).
        adapter: Parses a value; one per topic, built when this module is imported.
        cleanup_policy: ``compact`` keeps the latest value per key; ``delete`` ages records out.
        partitions: Partition count; None uses ``kafka.partitions`` from the settings.
        retention_ms: ``retention.ms`` for ``delete`` topics; None keeps the broker default.
        copartitioned: Topics with this flag must have the same partition count and key, so
            one executor instance owns every event of an execution.
        configs: Further topic configs, as (name, value) pairs.
    """

    logical: str
    key: str
    value_type: Any = field(compare=False)
    adapter: TypeAdapter[ModelT] = field(repr=False, compare=False)
    cleanup_policy: CleanupPolicy
    partitions: int | None = None
    retention_ms: int | None = None
    copartitioned: bool = False
    configs: tuple[tuple[str, str], ...] = ()

    def name(self, prefix: str) -> str:
        """Return the full topic name under ``prefix``."""
        return f"{prefix}{self.logical}"

    def partitions_for(self, default: int) -> int:
        """Return the partition count, ``default`` coming from the settings."""
        return self.partitions if self.partitions is not None else default

    def topic_configs(self) -> dict[str, str]:
        """Return the configs a new topic is created with."""
        configs: dict[str, str] = {"cleanup.policy": self.cleanup_policy}
        if self.retention_ms is not None:
            configs["retention.ms"] = str(self.retention_ms)
        configs.update(self.configs)
        return configs


def _spec(
    logical: str,
    key: str,
    value: Any,
    cleanup_policy: CleanupPolicy,
    **options: Any,
) -> TopicSpec[Any]:
    return TopicSpec(logical, key, value, TypeAdapter(value), cleanup_policy, **options)


@dataclass(frozen=True)
class TopicRegistry:
    """Every topic of Kestrel, by attribute (``TOPICS.executions``) or logical name."""

    flows: TopicSpec[FlowRecord]
    flow_revisions: TopicSpec[FlowRecord]
    execution_commands: TopicSpec[ExecutionCommand]
    executions: TopicSpec[Execution]
    task_runs: TopicSpec[TaskRunRecord]
    worker_tasks: TopicSpec[WorkerTask]
    worker_results: TopicSpec[WorkerTaskResult]
    worker_heartbeats: TopicSpec[WorkerInstance]
    instances: TopicSpec[ServiceInstance]
    kills: TopicSpec[KillNotice]
    concurrency_requests: TopicSpec[ConcurrencyMessage]
    concurrency_slots: TopicSpec[FlowSlots]
    triggers: TopicSpec[TriggerState]
    trigger_commands: TopicSpec[TriggerCommand]
    kv: TopicSpec[KvEntry]
    logs: TopicSpec[LogEntry]
    metrics: TopicSpec[MetricEntry]
    dead_letters: TopicSpec[DeadLetter]

    def __post_init__(self) -> None:
        counts = {spec.partitions for spec in self if spec.copartitioned}
        if len(counts) > 1:
            raise ValueError(f"co-partitioned topics declare different partitions: {counts}")

    def __iter__(self) -> Iterator[TopicSpec[Any]]:
        return (getattr(self, item.name) for item in fields(self))

    def __len__(self) -> int:
        return len(fields(self))

    def all(self) -> tuple[TopicSpec[Any], ...]:
        """Return every topic, in declaration order."""
        return tuple(self)

    def get(self, logical: str) -> TopicSpec[Any]:
        """Return the topic named ``logical`` (``worker-results``).

        Raises:
            KeyError: No such topic.
        """
        for spec in self:
            if spec.logical == logical:
                return spec
        raise KeyError(f"unknown topic {logical!r}; known: {[s.logical for s in self]}")


TOPICS = TopicRegistry(
    flows=_spec("flows", "ns/id", FlowRecord, "compact"),
    flow_revisions=_spec("flow-revisions", "ns/id/rev", FlowRecord, "compact"),
    execution_commands=_spec(
        "execution-commands", "execution id", ExecutionCommand, "delete", copartitioned=True
    ),
    executions=_spec("executions", "execution id", Execution, "compact", copartitioned=True),
    # The task runs of long executions, one record per run (key ``execution id/task run
    # id``), each produced to its execution's partition: not the key's own.
    task_runs=_spec(
        "task-runs", "execution id/task run id", TaskRunRecord, "compact", copartitioned=True
    ),
    worker_tasks=_spec("worker-tasks", "task run id", WorkerTask, "delete"),
    worker_results=_spec(
        "worker-results", "execution id", WorkerTaskResult, "delete", copartitioned=True
    ),
    worker_heartbeats=_spec("worker-heartbeats", "worker id", WorkerInstance, "compact"),
    instances=_spec("instances", "role/instance id", ServiceInstance, "compact", partitions=1),
    kills=_spec("kills", "execution id", KillNotice, "delete"),
    # Admission of flows with a concurrency limit: one owner per flow, whatever the number of
    # executors (orchestrator/models/concurrency.py). Both have the default partition count,
    # so the owner of a request's partition restores the slots from the same partition.
    concurrency_requests=_spec("concurrency-requests", "ns/flow", ConcurrencyMessage, "delete"),
    concurrency_slots=_spec("concurrency-slots", "ns/flow", FlowSlots, "compact"),
    triggers=_spec("triggers", "ns/flow/trigger", TriggerState, "compact"),
    # Consumed by the scheduler group: the partitions a scheduler is assigned are the
    # triggers it owns, restored from the same partitions of ``triggers`` (same key and
    # partition count, so co-partitioned).
    trigger_commands=_spec("trigger-commands", "ns/flow/trigger", TriggerCommand, "delete"),
    kv=_spec("kv", "ns/key", KvEntry, "compact"),  # Kestra's KV store (orchestrator/kv)
    logs=_spec("logs", "execution id", LogEntry, "delete", retention_ms=SEVEN_DAYS_MS),
    metrics=_spec("metrics", "execution id", MetricEntry, "delete", retention_ms=SEVEN_DAYS_MS),
    dead_letters=_spec("dead-letters", "original key", DeadLetter, "delete"),
)
"""The registry: every topic Kestrel reads or writes."""


class Topics:
    """Full topic names under one prefix: ``Topics("kestrel.").executions``."""

    def __init__(self, prefix: str = "kestrel.", registry: TopicRegistry = TOPICS):
        """Bind the registry to ``prefix`` (letters, digits, dots and dashes only)."""
        if "_" in prefix or not _PREFIX.fullmatch(prefix):
            raise ValueError(f"invalid topic prefix {prefix!r}: letters, digits, '.' and '-' only")
        self.prefix = prefix
        self.registry = registry
        self._by_name = {spec.name(prefix): spec for spec in registry}

    @classmethod
    def from_settings(cls, settings: KafkaSettings | KestrelSettings) -> Topics:
        """Return the names for ``settings``."""
        return cls(kafka_settings(settings).topic_prefix)

    def name(self, topic: TopicSpec[Any] | str) -> str:
        """Return the full name of a spec or of a logical name (``"executions"``)."""
        spec = self.registry.get(topic) if isinstance(topic, str) else topic
        return spec.name(self.prefix)

    def names(self) -> list[str]:
        """Return every full topic name."""
        return list(self._by_name)

    def spec_of(self, full_name: str) -> TopicSpec[Any]:
        """Return the spec of a full topic name (``kestrel.executions``).

        Raises:
            KeyError: Not a Kestrel topic under this prefix.
        """
        try:
            return self._by_name[full_name]
        except KeyError:
            raise KeyError(f"{full_name!r} is not a Kestrel topic under {self.prefix!r}") from None

    def __getattr__(self, attribute: str) -> str:
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        spec = getattr(self.registry, attribute, None)
        if not isinstance(spec, TopicSpec):
            raise AttributeError(f"no topic {attribute!r}")
        return spec.name(self.prefix)

    def __repr__(self) -> str:
        return f"Topics(prefix={self.prefix!r})"


def group_id(prefix: str, role: str) -> str:
    """The consumer group of a service role, scoped by the topic prefix.

    Group ids are global on a cluster; two installations with different prefixes must not
    share a group. The default prefix ``kestrel.`` gives ``kestrel-executor``.
    """
    return f"{prefix.rstrip('.')}-{role}"
