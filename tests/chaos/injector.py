"""Malformed messages for every consumed topic, remembered by (topic, partition, offset).

Each injected record carries a distinctive key (``chaos-inject/...``) and its coordinates are
taken from the delivery report, so the checker finds it again in ``dead-letters`` exactly,
whichever service dead-lettered it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import confluent_kafka
from confluent_kafka.admin import AdminClient, ConfigResource
from kafka_samples import every_message

from orchestrator.kafka import TOPICS, Topics, TopicSpec
from orchestrator.models.base import KestrelModel
from orchestrator.models.messages import KillExecution, KillNotice, WorkerTaskResult
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings

NOT_JSON = "not-json"
WRONG_TYPE = "wrong-type"
UNKNOWN_EXECUTION = "unknown-execution"
OVERSIZED = "oversized"
KINDS = (NOT_JSON, WRONG_TYPE, UNKNOWN_EXECUTION, OVERSIZED)
KEY_PREFIX = "chaos-inject/"
UNKNOWN_PREFIX = "chaosUnknownExec"
_BATCH_OVERHEAD = 512  # record batch header, record header and key, with room to spare

# Topics whose consumer holds every execution it could concern, so can tell that one is
# unknown. On the others a well-formed message for any execution id is legitimate: logs and
# metrics, and kill notices, which every worker reads though most concern other workers.
UNKNOWN_EXECUTION_TOPICS = (TOPICS.execution_commands, TOPICS.worker_results)


def consumed_topics() -> list[TopicSpec[Any]]:
    """Every registry topic some service reads: all but ``dead-letters`` (read by ops only).

    ``instances`` is read by every executor and worker start, ``triggers`` by the indexer.
    """
    return [spec for spec in TOPICS if spec is not TOPICS.dead_letters]


@dataclass(frozen=True)
class Injection:
    """One injected record and where the broker put it."""

    topic: str  # logical name
    kind: str
    key: str
    partition: int = -1
    offset: int = -1


def _samples() -> dict[str, KestrelModel]:
    return {spec.logical: value for spec, _, value in every_message()}


def _unknown_message(spec: TopicSpec[Any], execution_id: str) -> KestrelModel:
    if spec is TOPICS.execution_commands:
        return KillExecution(execution_id=execution_id, reason="chaos: nobody created me")
    if spec is TOPICS.worker_results:
        return WorkerTaskResult(
            execution_id=execution_id,
            task_run_id=f"{execution_id}Run",
            attempt=1,
            state=StateType.SUCCESS,
            worker_id="chaos-worker",
            outputs={"value": "from nowhere"},
        )
    return KillNotice(execution_id=execution_id)


def payloads(
    spec: TopicSpec[Any], kinds: Iterable[str], max_bytes: int, serial: int
) -> list[tuple[str, str, bytes]]:
    """(kind, key, value) of each malformed record for ``spec``'s topic."""
    sample = _samples()[spec.logical]
    found = []
    for kind in kinds:
        key = f"{KEY_PREFIX}{kind}/{spec.logical}/{serial}"
        if kind == NOT_JSON:
            value = b"\xff\xfe{chaos not json " + key.encode()
        elif kind == WRONG_TYPE:
            wrong = sample.to_json_dict() | {"type": f"chaos-wrong-type/{serial}"}
            value = json.dumps(wrong).encode()
        elif kind == UNKNOWN_EXECUTION:
            if spec not in UNKNOWN_EXECUTION_TOPICS:
                continue
            key = f"{UNKNOWN_PREFIX}{serial:06d}{spec.logical.replace('-', '')}"
            value = _unknown_message(spec, key).to_wire()
        elif kind == OVERSIZED:
            # As large as the broker takes (its record limit less the batch overhead): no
            # Kestrel producer could write it, and a dead letter quoting it in full cannot fit.
            head = json.dumps({"type": sample.to_json_dict()["type"], "padding": ""})
            padding = "x" * (max_bytes - len(head) - _BATCH_OVERHEAD)
            value = json.dumps({"type": sample.to_json_dict()["type"], "padding": padding}).encode()
        else:
            raise ValueError(f"unknown injection kind {kind!r}")
        found.append((kind, key, value))
    return found


def broker_limit(settings: KestrelSettings, topic: str) -> int:
    """The largest record batch the broker takes on ``topic`` (its ``max.message.bytes``)."""
    admin = AdminClient({"bootstrap.servers": settings.kafka.bootstrap})
    resource = ConfigResource("topic", topic)
    configs = admin.describe_configs([resource])[resource].result(timeout=30)
    return int(configs["max.message.bytes"].value)


def inject(
    settings: KestrelSettings,
    topics: Iterable[TopicSpec[Any]],
    kinds: Iterable[str] = KINDS,
    serial: int = 0,
) -> list[Injection]:
    """Produce every malformed record to every topic; return them with their offsets."""
    names = Topics.from_settings(settings)
    producer = confluent_kafka.Producer(
        {
            "bootstrap.servers": settings.kafka.bootstrap,
            "partitioner": "murmur2_random",
            "message.max.bytes": 16 * 1024 * 1024,
            "compression.type": "none",
        }
    )
    delivered: list[Injection] = []
    errors: list[str] = []

    def report(kind: str, logical: str) -> Any:
        def on_delivery(error: Any, message: Any) -> None:
            if error is not None:
                errors.append(f"{logical}/{kind}: {error}")
                return
            key = message.key().decode()
            delivered.append(Injection(logical, kind, key, message.partition(), message.offset()))

        return on_delivery

    kinds = tuple(kinds)
    for spec in topics:
        max_bytes = broker_limit(settings, names.name(spec))
        for kind, key, value in payloads(spec, kinds, max_bytes, serial):
            producer.produce(
                names.name(spec),
                key=key.encode(),
                value=value,
                on_delivery=report(kind, spec.logical),
            )
            producer.poll(0)
    producer.flush(30)
    if errors:
        raise RuntimeError(f"the broker refused injected records: {errors}")
    return delivered
