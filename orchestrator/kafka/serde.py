"""Wire format: compact UTF-8 JSON values (with ``type`` and ``version``), UTF-8 string keys.

A value of ``None`` is a tombstone: it deletes its key from a compacted topic. ``decode``
refuses one (most topics never carry them); ``decode_or_tombstone`` returns None for it.
"""

from __future__ import annotations

import base64
from typing import Literal, Protocol, TypeVar

import confluent_kafka
from pydantic import ValidationError

from orchestrator.kafka.errors import DeserializationError
from orchestrator.kafka.topics import TopicSpec
from orchestrator.models.base import KestrelModel
from orchestrator.models.messages import DeadLetter

ModelT = TypeVar("ModelT", bound=KestrelModel)

_MAX_REASON = 1000
MAX_QUOTED_VALUE = 512 * 1024
"""The largest value a dead letter quotes: a letter must fit where its record did (Kafka's
1 MiB default), so a larger value is left out; topic, partition and offset still find it."""


def encode(model: KestrelModel) -> bytes:
    """Return the wire form of ``model``: compact UTF-8 JSON of ``to_json_dict()``."""
    return model.to_wire()


def encode_key(key: str) -> bytes:
    """Return a key's wire form (UTF-8)."""
    return key.encode("utf-8")


def decode_key(
    data: bytes | None,
    *,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
) -> str | None:
    """Return a key as text (None when the record has no key).

    Raises:
        DeserializationError: The key is not UTF-8.
    """
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DeserializationError(
            f"key is not UTF-8 ({exc.reason} at byte {exc.start})",
            topic=topic,
            partition=partition,
            offset=offset,
        ) from exc


def _reason(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        location = ".".join(str(item) for item in error["loc"]) or "value"
        parts.append(f"{location}: {error['msg']}")
    return "; ".join(parts)[:_MAX_REASON]


def decode_or_tombstone(
    spec: TopicSpec[ModelT],
    data: bytes | None,
    *,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
) -> ModelT | None:
    """Parse a value of ``spec``'s topic; a tombstone (None) gives None.

    Args:
        spec: The topic the value comes from.
        data: The value bytes.
        topic: Full topic name, for the error.
        partition: Partition, for the error.
        offset: Offset, for the error.

    Raises:
        DeserializationError: The bytes are not UTF-8 JSON of the topic's model.
    """
    if data is None:
        return None
    try:
        return spec.adapter.validate_json(data)
    except ValidationError as exc:
        raise DeserializationError(
            f"not a valid {spec.logical} value: {_reason(exc)}",
            topic=topic or spec.logical,
            partition=partition,
            offset=offset,
        ) from exc


def decode(
    spec: TopicSpec[ModelT],
    data: bytes | None,
    *,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
) -> ModelT:
    """Parse a value of ``spec``'s topic, refusing tombstones.

    Raises:
        DeserializationError: A tombstone, or bytes that are not the topic's model.
    """
    value = decode_or_tombstone(spec, data, topic=topic, partition=partition, offset=offset)
    if value is None:
        raise DeserializationError(
            f"unexpected tombstone on {spec.logical}",
            topic=topic or spec.logical,
            partition=partition,
            offset=offset,
        )
    return value


class RecordLike(Protocol):
    """What ``dead_letter`` needs of a record (``Record`` has it)."""

    @property
    def topic(self) -> str: ...  # noqa: D102

    @property
    def partition(self) -> int: ...  # noqa: D102

    @property
    def offset(self) -> int: ...  # noqa: D102

    @property
    def key(self) -> bytes | None: ...  # noqa: D102

    @property
    def value(self) -> bytes | None: ...  # noqa: D102


def dead_letter(
    record: RecordLike | confluent_kafka.Message, error: BaseException | str, service: str
) -> DeadLetter:
    """Build the ``DeadLetter`` of a record that could not be processed.

    The value is kept as UTF-8 text when it is text, else base64 (``value_encoding``); produce
    the dead letter with the original key to ``TOPICS.dead_letters``.

    Args:
        record: A ``Record`` or a raw ``confluent_kafka.Message``.
        error: Why it failed.
        service: Who gave up on it (``executor``, ``indexer`` ...).
    """
    if isinstance(record, confluent_kafka.Message):
        topic, partition, offset = record.topic(), record.partition(), record.offset()
        raw_key, raw_value = record.key(), record.value()
    else:
        topic, partition, offset = record.topic, record.partition, record.offset
        raw_key, raw_value = record.key, record.value
    key = None if raw_key is None else raw_key.decode("utf-8", errors="backslashreplace")
    value: str | None = None
    encoding: Literal["utf-8", "base64"] = "utf-8"
    message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    if raw_value is not None and len(raw_value) > MAX_QUOTED_VALUE:
        message += f" (the value, {len(raw_value)} bytes, is left out: too large to quote)"
    elif raw_value is not None:
        try:
            value = raw_value.decode("utf-8")
        except UnicodeDecodeError:
            value, encoding = base64.b64encode(raw_value).decode("ascii"), "base64"
    return DeadLetter(
        topic=topic or "",
        partition=partition if partition is not None else -1,
        offset=offset if offset is not None else -1,
        key=key,
        value=value,
        value_encoding=encoding,
        error=message,
        service=service,
    )
