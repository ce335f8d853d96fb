"""Plain data the Kafka wrappers hand out instead of confluent-kafka objects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import confluent_kafka

from orchestrator.kafka.serde import decode, decode_key, decode_or_tombstone
from orchestrator.kafka.topics import TopicSpec
from orchestrator.models.base import KestrelModel

ModelT = TypeVar("ModelT", bound=KestrelModel)

Headers = tuple[tuple[str, bytes | None], ...]


@dataclass(frozen=True, slots=True)
class TopicPartition:
    """A partition of a topic, with an offset where one matters (None: not set)."""

    topic: str
    partition: int
    offset: int | None = None

    @classmethod
    def from_confluent(cls, raw: confluent_kafka.TopicPartition) -> TopicPartition:
        """Convert confluent-kafka's ``TopicPartition`` (negative offsets become None)."""
        offset = raw.offset if raw.offset >= 0 else None
        return cls(raw.topic, raw.partition, offset)

    def to_confluent(self) -> confluent_kafka.TopicPartition:
        """Return confluent-kafka's ``TopicPartition`` for this one."""
        if self.offset is None:
            return confluent_kafka.TopicPartition(self.topic, self.partition)
        return confluent_kafka.TopicPartition(self.topic, self.partition, self.offset)


@dataclass(frozen=True, slots=True)
class Record:
    """One consumed record: raw bytes plus where it came from.

    Attributes:
        timestamp: Milliseconds since the epoch, None when the broker gave none.
        headers: (name, value) pairs in record order.
    """

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int | None = None
    headers: Headers = ()

    @classmethod
    def from_message(cls, message: confluent_kafka.Message) -> Record:
        """Copy a (non-error) confluent-kafka message."""
        kind, timestamp = message.timestamp()
        raw_headers = message.headers() or []
        pairs = raw_headers.items() if isinstance(raw_headers, dict) else raw_headers
        partition, offset = message.partition(), message.offset()
        return cls(
            topic=message.topic() or "",
            partition=partition if partition is not None else -1,
            offset=offset if offset is not None else -1,
            key=_as_bytes(message.key()),
            value=_as_bytes(message.value()),
            timestamp=None if kind == confluent_kafka.TIMESTAMP_NOT_AVAILABLE else timestamp,
            headers=tuple((name, _as_bytes(value)) for name, value in pairs),
        )

    @property
    def is_tombstone(self) -> bool:
        """Whether the value is None (a delete on a compacted topic)."""
        return self.value is None

    @property
    def key_str(self) -> str | None:
        """The key as text.

        Raises:
            DeserializationError: The key is not UTF-8.
        """
        return decode_key(self.key, topic=self.topic, partition=self.partition, offset=self.offset)

    def decoded(self, spec: TopicSpec[ModelT]) -> ModelT | None:
        """Parse the value as ``spec``'s model; None for a tombstone.

        Raises:
            DeserializationError: The value is not the topic's model.
        """
        return decode_or_tombstone(
            spec, self.value, topic=self.topic, partition=self.partition, offset=self.offset
        )

    def decoded_value(self, spec: TopicSpec[ModelT]) -> ModelT:
        """Parse the value as ``spec``'s model, refusing a tombstone.

        Raises:
            DeserializationError: A tombstone, or not the topic's model.
        """
        return decode(
            spec, self.value, topic=self.topic, partition=self.partition, offset=self.offset
        )

    def header(self, name: str) -> bytes | None:
        """Return the last value of header ``name``, or None."""
        for key, value in reversed(self.headers):
            if key == name:
                return value
        return None


def _as_bytes(data: str | bytes | None) -> bytes | None:
    return data.encode("utf-8") if isinstance(data, str) else data
