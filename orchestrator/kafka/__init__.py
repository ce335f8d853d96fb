"""Kafka plumbing: the topic registry, wire format, typed errors and thin client wrappers."""

from orchestrator.kafka._logging import LIBRDKAFKA_LOGGER
from orchestrator.kafka.admin import TopicDescription, describe_topics, ensure_topics
from orchestrator.kafka.commands import send_command, send_commands
from orchestrator.kafka.consumer import AssignCallback, KafkaConsumer, RevokeCallback
from orchestrator.kafka.errors import (
    BrokerUnreachableError,
    ConsumeError,
    DeserializationError,
    KafkaError,
    ProduceError,
    ProducerFencedError,
    TopicError,
    TransactionError,
    from_confluent,
)
from orchestrator.kafka.incarnations import claim_transactional_id, previous_incarnation
from orchestrator.kafka.producer import KafkaProducer
from orchestrator.kafka.reader import read_topic_to_end
from orchestrator.kafka.records import Record, TopicPartition
from orchestrator.kafka.serde import (
    dead_letter,
    decode,
    decode_key,
    decode_or_tombstone,
    encode,
    encode_key,
)
from orchestrator.kafka.tail import TopicTail
from orchestrator.kafka.topics import (
    TOPICS,
    TopicRegistry,
    Topics,
    TopicSpec,
    group_id,
    partition_for,
)

__all__ = [
    "LIBRDKAFKA_LOGGER",
    "TOPICS",
    "AssignCallback",
    "BrokerUnreachableError",
    "ConsumeError",
    "DeserializationError",
    "KafkaConsumer",
    "KafkaError",
    "KafkaProducer",
    "ProduceError",
    "ProducerFencedError",
    "Record",
    "RevokeCallback",
    "TopicDescription",
    "TopicError",
    "TopicPartition",
    "TopicRegistry",
    "TopicSpec",
    "TopicTail",
    "Topics",
    "TransactionError",
    "claim_transactional_id",
    "dead_letter",
    "decode",
    "decode_key",
    "decode_or_tombstone",
    "describe_topics",
    "encode",
    "encode_key",
    "ensure_topics",
    "from_confluent",
    "group_id",
    "partition_for",
    "previous_incarnation",
    "read_topic_to_end",
    "send_command",
    "send_commands",
]
