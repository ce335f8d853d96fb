"""What the Kafka tasks and triggers share: client configuration, checks and records.

confluent-kafka is a core dependency of Kestrel (its own broker client), so this family
needs no extra; it still imports the client at run time only, like every family. The
``properties`` map is handed to librdkafka as is (``bootstrap.servers``, security...).
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from plugins.messaging import MessagingError, SerdeType, deserialize, failure

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

KAFKA_SERDES = ("STRING", "JSON")
CHECK_TIMEOUT = 5.0
"""Seconds allowed to reach a bootstrap server and to read the cluster's metadata."""


def secret_values(properties: dict[str, Any]) -> set[str]:
    """The values of ``properties`` that must never be shown (passwords, secrets, keys)."""
    return {
        str(value)
        for key, value in properties.items()
        if any(word in key.lower() for word in ("password", "secret", "jaas", "key.pem"))
    }


def servers_of(properties: dict[str, Any]) -> str:
    """The ``bootstrap.servers`` of ``properties``, for messages."""
    return str(properties.get("bootstrap.servers", "(no bootstrap.servers)"))


def server_name(properties: dict[str, Any]) -> str:
    """How messages name the cluster."""
    return f"Kafka at {servers_of(properties)}"


def probe(task_id: str, properties: dict[str, Any]) -> None:
    """Fail fast, and clearly, when no bootstrap server accepts a TCP connection.

    librdkafka retries an unreachable broker silently until its own timeouts (minutes for
    a producer); a task must say at once which server it could not reach.

    Raises:
        MessagingError: ``bootstrap.servers`` is missing, or no server accepts.
    """
    servers = [each.strip() for each in servers_of(properties).split(",") if each.strip()]
    if "bootstrap.servers" not in properties or not servers:
        raise MessagingError(
            f"task {task_id!r}: properties must set bootstrap.servers", retryable=False
        )
    last: OSError | None = None
    for server in servers:
        host, _, port = server.rpartition(":")
        host = host.split("://")[-1].strip("[]") or server
        try:
            with socket.create_connection((host, int(port or 9092)), timeout=CHECK_TIMEOUT):
                return
        except (OSError, ValueError) as exc:
            last = exc if isinstance(exc, OSError) else OSError(str(exc))
    raise failure(task_id, server_name(properties), "connecting", last or "unreachable")


def check_topics(task_id: str, client: Any, properties: dict[str, Any], topics: list[str]) -> None:
    """Fail naming the topic when one of ``topics`` does not exist.

    Raises:
        MessagingError: the metadata cannot be read, or a topic is missing.
    """
    from confluent_kafka import KafkaException

    try:
        metadata = client.list_topics(timeout=CHECK_TIMEOUT)
    except KafkaException as exc:
        raise failure(task_id, server_name(properties), "reading the topics", exc) from None
    for topic in topics:
        found = metadata.topics.get(topic)
        if found is None or found.error is not None:
            raise MessagingError(
                f"task {task_id!r}: topic {topic!r} does not exist on {server_name(properties)}",
                retryable=False,
            )


def record_of(message: Any, key_serde: SerdeType, value_serde: SerdeType) -> dict[str, Any]:
    """A consumed message as Kestra's record: key, value, topic, partition, offset..."""
    _, millis = message.timestamp()
    timestamp = datetime.fromtimestamp(millis / 1000, UTC).isoformat() if millis > 0 else None
    headers = [
        [name, None if value is None else value.decode("utf-8", errors="replace")]
        for name, value in (message.headers() or [])
    ]
    return {
        "key": deserialize(message.key(), key_serde),
        "value": deserialize(message.value(), value_serde),
        "topic": message.topic(),
        "partition": message.partition(),
        "offset": message.offset(),
        "timestamp": timestamp,
        "headers": headers,
    }


def consumed(task_id: str, properties: dict[str, Any], messages: list[Any]) -> list[Any]:
    """The messages of a ``consume`` call that carry data; a broker error fails the task.

    Raises:
        MessagingError: a message carries an error other than the end of a partition.
    """
    from confluent_kafka import KafkaError

    kept = []
    for message in messages:
        error = message.error()
        if error is None:
            kept.append(message)
        elif error.code() != KafkaError._PARTITION_EOF:
            raise failure(task_id, server_name(properties), "consuming", error.str())
    return kept


def render_properties(ctx: RunContext, properties: dict[str, Any]) -> dict[str, Any]:
    """Render the ``properties`` map; its secret values are masked in logs and outputs."""
    rendered = ctx.render(properties, "properties")
    ctx.add_secrets(secret_values(rendered))
    return {str(key): value for key, value in rendered.items()}


__all__ = [
    "KAFKA_SERDES",
    "check_topics",
    "consumed",
    "probe",
    "record_of",
    "render_properties",
    "secret_values",
    "server_name",
]
