"""Typed Kafka errors: the rest of Kestrel never sees a raw librdkafka error."""

from __future__ import annotations

from typing import Literal

import confluent_kafka

from orchestrator.errors import OrchestratorError

Operation = Literal["admin", "produce", "consume", "transaction"]
"""What was under way when an error happened; picks the subclass for unmapped codes."""


class KafkaError(OrchestratorError):
    """Root of Kestrel's Kafka errors.

    Attributes:
        code: librdkafka's error name (``_TRANSPORT``, ``TOPIC_ALREADY_EXISTS`` ...), if any.
        retriable: Whether the same call may succeed when repeated.
    """

    def __init__(self, message: str, *, code: str | None = None, retriable: bool = False):
        super().__init__(message)
        self.code = code
        self.retriable = retriable


class BrokerUnreachableError(KafkaError):
    """No broker answered within the time allowed."""

    def __init__(self, bootstrap: str, timeout: float, reason: str | None = None):
        detail = f" ({reason})" if reason else ""
        super().__init__(
            f"no Kafka broker answered at {bootstrap} within {timeout:g} s{detail}. Check that "
            "the broker runs and is reachable from here, that kafka.bootstrap "
            "(KESTREL_KAFKA_BOOTSTRAP) names it, and that the security settings "
            "(security_protocol, sasl_*) match the listener.",
            code="_TRANSPORT",
            retriable=True,
        )
        self.bootstrap = bootstrap
        self.timeout = timeout


class TopicError(KafkaError):
    """A topic is missing, cannot be created, or is configured against Kestrel's needs."""

    def __init__(self, topic: str, reason: str, *, code: str | None = None):
        super().__init__(f"topic {topic}: {reason}", code=code)
        self.topic = topic
        self.reason = reason


class ProduceError(KafkaError):
    """A record could not be produced or was not acknowledged."""

    def __init__(
        self,
        topic: str,
        reason: str,
        *,
        key: str | None = None,
        code: str | None = None,
        retriable: bool = False,
    ):
        where = f"key {key!r} to {topic}" if key is not None else f"to {topic}"
        super().__init__(f"cannot produce {where}: {reason}", code=code, retriable=retriable)
        self.topic = topic
        self.key = key
        self.reason = reason


class ConsumeError(KafkaError):
    """Consuming failed (a broker or group error, not a bad record)."""

    def __init__(
        self,
        reason: str,
        *,
        topic: str | None = None,
        partition: int | None = None,
        code: str | None = None,
        retriable: bool = False,
    ):
        where = f" ({topic} [{partition}])" if topic else ""
        super().__init__(f"consume failed{where}: {reason}", code=code, retriable=retriable)
        self.topic = topic
        self.partition = partition
        self.reason = reason


class DeserializationError(KafkaError):
    """A record's key or value is not what its topic declares."""

    def __init__(
        self,
        reason: str,
        *,
        topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ):
        where = f"{topic} [{partition}] @{offset}" if topic is not None else "a record"
        super().__init__(f"cannot decode {where}: {reason}")
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.reason = reason


class TransactionError(KafkaError):
    """A transactional call failed; the flags say what the caller must do next.

    Attributes:
        retriable: Repeat the same call.
        abortable: Abort the transaction, then start the batch again.
        fatal: The producer is unusable: close it and make a new one (or stop).
    """

    def __init__(
        self,
        reason: str,
        *,
        code: str | None = None,
        retriable: bool = False,
        abortable: bool = False,
        fatal: bool = False,
    ):
        super().__init__(f"transaction failed: {reason}", code=code, retriable=retriable)
        self.abortable = abortable
        self.fatal = fatal


class ProducerFencedError(TransactionError):
    """Another producer with the same transactional id took over: this one must stop."""

    def __init__(self, reason: str, *, code: str | None = None):
        super().__init__(reason, code=code, fatal=True)


_UNREACHABLE = frozenset({"_TRANSPORT", "_ALL_BROKERS_DOWN", "_RESOLVE", "_TIMED_OUT"})
_FENCED = frozenset({"_FENCED", "PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH"})
_TOPIC = frozenset(
    {
        "TOPIC_ALREADY_EXISTS",
        "UNKNOWN_TOPIC_OR_PART",
        "_UNKNOWN_TOPIC",
        "_UNKNOWN_PARTITION",
        "TOPIC_EXCEPTION",
        "INVALID_PARTITIONS",
        "INVALID_REPLICATION_FACTOR",
        "INVALID_CONFIG",
        "POLICY_VIOLATION",
        "TOPIC_AUTHORIZATION_FAILED",
    }
)


def _unwrap(error: confluent_kafka.KafkaError | BaseException) -> confluent_kafka.KafkaError | None:
    if isinstance(error, confluent_kafka.KafkaError):
        return error
    if error.args and isinstance(error.args[0], confluent_kafka.KafkaError):
        return error.args[0]
    return None


def from_confluent(
    error: confluent_kafka.KafkaError | BaseException,
    operation: Operation,
    *,
    bootstrap: str | None = None,
    timeout: float | None = None,
    topic: str | None = None,
    partition: int | None = None,
    key: str | None = None,
) -> KafkaError:
    """Convert a ``confluent_kafka.KafkaError`` or ``KafkaException`` into a Kestrel error.

    Args:
        error: The error from confluent-kafka (a ``KafkaException`` or its ``args[0]``).
        operation: What was under way.
        bootstrap: The bootstrap servers, named by ``BrokerUnreachableError``.
        timeout: Seconds waited, for ``BrokerUnreachableError``.
        topic: The topic concerned, if known.
        partition: The partition concerned, if known.
        key: The record key concerned, if known.

    Returns:
        The most specific error; the caller raises it ``from`` the original.
    """
    raw = _unwrap(error)
    if raw is None:
        return KafkaError(str(error))
    code, reason = raw.name(), raw.str()
    if code in _FENCED:
        return ProducerFencedError(reason, code=code)
    if operation == "transaction" or raw.txn_requires_abort():
        return TransactionError(
            reason,
            code=code,
            retriable=raw.retriable(),
            abortable=raw.txn_requires_abort(),
            fatal=raw.fatal(),
        )
    if code in _UNREACHABLE and bootstrap is not None and operation == "admin":
        return BrokerUnreachableError(bootstrap, timeout or 0.0, reason)
    if code in _TOPIC and topic is not None and operation != "produce":
        return TopicError(topic, reason, code=code)
    if operation == "produce":
        return ProduceError(topic or "?", reason, key=key, code=code, retriable=raw.retriable())
    if operation == "consume":
        return ConsumeError(
            reason, topic=topic, partition=partition, code=code, retriable=raw.retriable()
        )
    return KafkaError(reason, code=code, retriable=raw.retriable())
