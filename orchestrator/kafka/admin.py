"""Create and describe Kestrel's topics; an unreachable broker fails fast with a clear error."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import confluent_kafka
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-exported at runtime
    AdminClient,
    ConfigResource,
    NewTopic,
    ResourceType,
)

from orchestrator.kafka._logging import with_logger
from orchestrator.kafka.errors import TopicError, from_confluent
from orchestrator.kafka.topics import TOPICS, TopicSpec
from orchestrator.settings import KafkaSettings, KestrelSettings, kafka_settings


@dataclass(frozen=True)
class TopicDescription:
    """What the broker says about one registry topic, and how it departs from the registry.

    Attributes:
        exists: False when the topic is missing (then the other fields are empty).
        configs: Every topic config the broker reports.
        problems: Differences from the registry (partitions, cleanup policy, retention).
    """

    name: str
    spec: TopicSpec[Any]
    exists: bool
    partitions: int | None = None
    replication_factor: int | None = None
    configs: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


@contextmanager
def _admin(settings: KafkaSettings) -> Iterator[AdminClient]:
    admin = AdminClient(with_logger(settings.admin_config()))
    try:
        yield admin
    finally:
        admin.poll(0)  # hand librdkafka's queued log lines to Python logging


def _metadata(admin: AdminClient, settings: KafkaSettings, timeout: float) -> Any:
    try:
        return admin.list_topics(timeout=timeout)
    except confluent_kafka.KafkaException as exc:
        raise from_confluent(exc, "admin", bootstrap=settings.bootstrap, timeout=timeout) from exc


def _specs(specs: Iterable[TopicSpec[Any]] | None) -> list[TopicSpec[Any]]:
    return list(TOPICS if specs is None else specs)


def ensure_topics(
    settings: KafkaSettings | KestrelSettings,
    specs: Iterable[TopicSpec[Any]] | None = None,
    *,
    timeout: float | None = None,
) -> list[str]:
    """Create the registry topics that are missing; leave existing ones as they are.

    Safe to call from several processes at once. Afterwards, checks that the co-partitioned
    topics (``execution-commands``, ``executions``, ``worker-results``) have one partition count.

    Args:
        settings: Kafka settings (prefix, partitions, replication factor).
        specs: Topics to ensure; None: every registry topic.
        timeout: Seconds per broker request; defaults to ``settings.admin_timeout``.

    Returns:
        Full names of the topics this call created.

    Raises:
        BrokerUnreachableError: No broker answered within the timeout.
        TopicError: A topic cannot be created, or co-partitioned topics differ.
    """
    settings = kafka_settings(settings)
    wait = settings.admin_timeout if timeout is None else timeout
    wanted = _specs(specs)
    prefix = settings.topic_prefix
    created: list[str] = []
    with _admin(settings) as admin:
        existing = _metadata(admin, settings, wait).topics
        missing = [spec for spec in wanted if spec.name(prefix) not in existing]
        if missing:
            new_topics = [
                NewTopic(
                    spec.name(prefix),
                    num_partitions=spec.partitions_for(settings.partitions),
                    replication_factor=settings.replication_factor,
                    config=spec.topic_configs(),
                )
                for spec in missing
            ]
            futures = admin.create_topics(new_topics, operation_timeout=wait, request_timeout=wait)
            for name, future in futures.items():
                try:
                    future.result(timeout=wait)
                except confluent_kafka.KafkaException as exc:
                    error = from_confluent(exc, "admin", topic=name, bootstrap=settings.bootstrap)
                    if error.code == "TOPIC_ALREADY_EXISTS":
                        continue  # another process won the race
                    raise error from exc
                created.append(name)
        _check_copartitioned(_metadata(admin, settings, wait).topics, prefix)
    return created


def _check_copartitioned(topics: dict[str, Any], prefix: str) -> None:
    counts = {
        spec.name(prefix): len(topics[spec.name(prefix)].partitions)
        for spec in TOPICS
        if spec.copartitioned and spec.name(prefix) in topics
    }
    if len(set(counts.values())) > 1:
        first = next(iter(counts))
        raise TopicError(
            first,
            f"co-partitioned topics have different partition counts {counts}: one executor "
            "must own all events of an execution; recreate them with one count",
        )


def describe_topics(
    settings: KafkaSettings | KestrelSettings,
    specs: Iterable[TopicSpec[Any]] | None = None,
    *,
    timeout: float | None = None,
) -> list[TopicDescription]:
    """Describe registry topics as the broker has them (for ``kestrel topics describe``).

    Raises:
        BrokerUnreachableError: No broker answered within the timeout.
        TopicError: The broker refused to describe a topic's configs.
    """
    settings = kafka_settings(settings)
    wait = settings.admin_timeout if timeout is None else timeout
    wanted = _specs(specs)
    prefix = settings.topic_prefix
    with _admin(settings) as admin:
        topics = _metadata(admin, settings, wait).topics
        present = [spec.name(prefix) for spec in wanted if spec.name(prefix) in topics]
        configs = _configs(admin, present, wait, settings.bootstrap)
    descriptions = []
    for spec in wanted:
        name = spec.name(prefix)
        if name not in topics:
            descriptions.append(TopicDescription(name, spec, exists=False, problems=("missing",)))
            continue
        partitions = topics[name].partitions
        replicas = {len(partition.replicas) for partition in partitions.values()}
        description = TopicDescription(
            name,
            spec,
            exists=True,
            partitions=len(partitions),
            replication_factor=min(replicas) if replicas else None,
            configs=configs.get(name, {}),
        )
        descriptions.append(replace(description, problems=_problems(description, settings)))
    return descriptions


def _configs(
    admin: AdminClient, names: list[str], timeout: float, bootstrap: str
) -> dict[str, dict[str, str]]:
    if not names:
        return {}
    resources = [ConfigResource(ResourceType.TOPIC, name) for name in names]
    result: dict[str, dict[str, str]] = {}
    for resource, future in admin.describe_configs(resources, request_timeout=timeout).items():
        try:
            entries = future.result(timeout=timeout)
        except confluent_kafka.KafkaException as exc:
            raise from_confluent(
                exc, "admin", topic=resource.name, bootstrap=bootstrap, timeout=timeout
            ) from exc
        result[resource.name] = {
            key: entry.value for key, entry in entries.items() if entry.value is not None
        }
    return result


def _problems(description: TopicDescription, settings: KafkaSettings) -> tuple[str, ...]:
    spec, configs = description.spec, description.configs
    problems = []
    expected = spec.partitions_for(settings.partitions)
    if description.partitions != expected:
        problems.append(f"partitions {description.partitions}, registry says {expected}")
    for key, value in spec.topic_configs().items():
        actual = configs.get(key)
        if actual is not None and actual != value:
            problems.append(f"{key}={actual}, registry says {value}")
    return tuple(problems)
