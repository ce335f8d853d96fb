"""Transactional ids per incarnation, registered so that a successor fences its predecessor.

Every start of a transactional service instance (an incarnation) produces under a
transactional id of its own. Before its first transaction it:

1. reads the instance's previous incarnation from the compacted ``instances`` topic;
2. initialises that incarnation's transactional id, which fences a zombie still producing
   under it and aborts the transaction a crashed one left open, at once;
3. records its own id there, before ever opening a transaction under it.

Why not one stable transactional id per instance, the textbook scheme? A restart under the
same id keeps the same producer id (only the epoch grows). The embedded broker (noida-db
0.2.3) keeps listing a producer id's aborted transaction in every later fetch response of
that partition, so ``read_committed`` consumers silently drop everything the producer id
writes there afterwards: after one crash mid-transaction, a restarted executor's worker
tasks would never reach the workers. A fresh producer id per incarnation, as Kafka Streams
uses with exactly-once v2, avoids that; on real Kafka both schemes give the same guarantees
and this one costs one lookup and one extra initialisation at start.
"""

from __future__ import annotations

import logging
import os
import socket

from orchestrator.kafka.errors import DeserializationError
from orchestrator.kafka.producer import KafkaProducer
from orchestrator.kafka.reader import read_topic_to_end
from orchestrator.kafka.records import Record
from orchestrator.kafka.serde import dead_letter
from orchestrator.kafka.topics import TOPICS, group_id, partition_for
from orchestrator.models.messages import DeadLetter, ServiceInstance
from orchestrator.settings import KafkaSettings, KestrelSettings, kafka_settings

log = logging.getLogger("kestrel.kafka")


def instance_key(role: str, instance_id: str) -> str:
    """The ``instances`` key of a service instance: ``executor/executor-0``."""
    return f"{role}/{instance_id}"


def previous_incarnation(
    settings: KafkaSettings | KestrelSettings, role: str, instance_id: str
) -> ServiceInstance | None:
    """Return the latest registered incarnation of an instance, or None if it never ran."""
    key = instance_key(role, instance_id)
    partitions = TOPICS.instances.partitions_for(kafka_settings(settings).partitions)
    unreadable: list[DeadLetter] = []

    def keep(record: Record, error: DeserializationError) -> None:
        # Another instance's record (or garbage) must not stop this one from starting.
        log.warning("unreadable record %s@%s: %s", record.topic, record.offset, error)
        unreadable.append(dead_letter(record, str(error), role))

    registered = read_topic_to_end(
        settings, TOPICS.instances, partitions=[partition_for(key, partitions)], on_unreadable=keep
    )
    if unreadable:
        with KafkaProducer(settings, overrides={"enable.idempotence": False}) as producer:
            for letter in unreadable:
                producer.send(TOPICS.dead_letters, letter.key or "", letter)
            producer.flush()
    return registered.get(key)


def claim_transactional_id(
    settings: KafkaSettings | KestrelSettings, role: str, instance_id: str, incarnation: str
) -> str:
    """Fence the instance's previous incarnation and register a transactional id for this one.

    Args:
        settings: Kafka settings.
        role: The service role (``executor``, ``workers``).
        instance_id: The stable instance id (static group membership).
        incarnation: Unique per process start.

    Returns:
        The transactional id this incarnation must produce under.

    Raises:
        KafkaError: The broker is unreachable, or the topic is missing.
    """
    kafka = kafka_settings(settings)
    stable = group_id(kafka.topic_prefix, f"{role}-{instance_id}")
    previous = previous_incarnation(kafka, role, instance_id)
    # Initialising the old id bumps its epoch: a zombie's next commit is refused, and a
    # transaction it left open is aborted now rather than blocking readers forever. With no
    # incarnation registered yet, the old id is the one used before incarnations existed
    # (a deployment upgraded in place).
    predecessor = previous.transactional_id if previous is not None else stable
    KafkaProducer(kafka, transactional_id=predecessor).close()
    own = f"{stable}-{incarnation}"
    record = ServiceInstance(
        role=role,
        instance_id=instance_id,
        incarnation=incarnation,
        transactional_id=own,
        hostname=socket.gethostname(),
        pid=os.getpid(),
    )
    # Recorded (and acknowledged) before the first transaction under it can open. Not
    # idempotent: a duplicate of this one record is harmless, and an idempotent producer
    # waits about half a second for its producer id before the first send.
    with KafkaProducer(kafka, overrides={"enable.idempotence": False}) as producer:
        producer.send(TOPICS.instances, instance_key(role, instance_id), record)
        producer.flush()
    return own
