"""``io.kestra.plugin.amqp.Consume``: take messages of a queue into a file."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, model_validator

from orchestrator.models.duration import Duration
from orchestrator.tasks.base import RunnableTask
from plugins.amqp.connection import AmqpConnection, Server, channel_failure, connect
from plugins.extras import require
from plugins.messaging import SerdeType, deserialize, store_items

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

PREFETCH = 500
"""Messages the broker sends ahead of acknowledgements (fewer when maxRecords is lower)."""


def message_of(method: Any, properties: Any, body: bytes, serde: SerdeType) -> dict[str, Any]:
    """A delivered message as Kestra's: ``data`` and the message's properties."""
    stamp = properties.timestamp
    return {
        "data": deserialize(body, serde),
        "headers": dict(properties.headers or {}),
        "contentType": properties.content_type,
        "contentEncoding": properties.content_encoding,
        "messageId": properties.message_id,
        "correlationId": properties.correlation_id,
        "appId": properties.app_id,
        "type": properties.type,
        "timestamp": datetime.fromtimestamp(stamp, UTC).isoformat() if stamp else None,
        "exchange": method.exchange,
        "routingKey": method.routing_key,
    }


class Inbox:
    """Messages a ``basic_consume`` callback received, not yet acknowledged."""

    def __init__(self, serde: SerdeType) -> None:
        self.serde = serde
        self.received: list[tuple[int, dict[str, Any]]] = []  # (delivery tag, message)

    def __call__(self, _channel: Any, method: Any, properties: Any, body: bytes) -> None:
        """Keep one delivered message (pika's ``on_message_callback``)."""
        self.received.append(
            (method.delivery_tag, message_of(method, properties, body, self.serde))
        )

    def take(self) -> list[tuple[int, dict[str, Any]]]:
        """The messages received since the last call, with their delivery tags."""
        taken, self.received = self.received, []
        return taken


class ConsumeFields(AmqpConnection):
    """What Consume and the polling trigger read, and when they stop."""

    queue: str
    """The queue; it must exist."""
    consumer_tag: str = "Kestra"
    """The consumer's tag."""
    auto_ack: bool = False
    """Let the broker acknowledge on delivery (else after the messages are stored)."""
    max_records: int | None = Field(default=None, ge=1)
    """Stop after this many messages."""
    max_duration: Duration | None = None
    """Stop after this long."""

    @model_validator(mode="after")
    def _bounded(self) -> ConsumeFields:
        if self.max_records is None and self.max_duration is None:
            raise ValueError("set maxRecords or maxDuration (or both)")
        return self

    def take(self, task_id: str, render: Callable[[Any, str], Any]) -> tuple[Server, list[Any]]:
        """Consume until ``maxRecords`` or ``maxDuration``; acknowledge what was taken.

        Raises:
            MessagingError: unreachable, bad credentials, or no such queue.
        """
        pika = require("pika", extra="amqp", task_type=str(getattr(self, "type", "amqp")))
        server = self.server(render)
        queue = str(render(self.queue, "queue"))
        connection = connect(task_id, str(getattr(self, "type", "amqp")), server)
        try:
            channel = connection.channel()
            channel.basic_qos(prefetch_count=min(self.max_records or PREFETCH, PREFETCH))
            inbox = Inbox(self.serde_type)
            tag = channel.basic_consume(
                queue, inbox, auto_ack=self.auto_ack, consumer_tag=self._tag(render)
            )
            kept = _until_done(connection, inbox, self.max_records, self.max_duration)
            if kept and not self.auto_ack:
                channel.basic_ack(kept[-1][0], multiple=True)
            channel.basic_cancel(tag)
            return server, [message for _, message in kept]
        except pika.exceptions.AMQPError as exc:
            raise channel_failure(task_id, server, f"consuming queue {queue!r}", exc) from None
        finally:
            if connection.is_open:
                connection.close()

    def _tag(self, render: Callable[[Any, str], Any]) -> str:
        # Unique per consumer: two runs on one connection may not share a tag.
        return f"{render(self.consumer_tag, 'consumerTag')}-{time.monotonic_ns()}"


def _until_done(
    connection: Any, inbox: Inbox, max_records: int | None, max_duration: timedelta | None
) -> list[tuple[int, dict[str, Any]]]:
    started = time.monotonic()
    limit = max_duration.total_seconds() if max_duration else None
    while max_records is None or len(inbox.received) < max_records:
        left = 1.0 if limit is None else limit - (time.monotonic() - started)
        if left <= 0:
            break
        connection.process_data_events(time_limit=min(left, 1.0))
    kept = inbox.take()
    if max_records is not None and len(kept) > max_records:
        # Delivered after the limit: not acknowledged, so the broker requeues them.
        kept = kept[:max_records]
    return kept


class Consume(RunnableTask, ConsumeFields):
    """Consume messages of a queue into a file; outputs ``count`` and ``uri``.

    Needs ``maxRecords`` or ``maxDuration``. The file holds one JSON message per line:
    ``data``, ``headers`` and the message's properties. Unless ``autoAck``, the messages
    are acknowledged once read, and those delivered beyond ``maxRecords`` go back.

    Example:
        ```yaml
        - id: consume
          type: io.kestra.plugin.amqp.Consume
          host: localhost
          queue: orders
          maxRecords: 100
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.amqp.Consume"

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Consume and store the messages.

        Raises:
            MessagingError: unreachable, bad credentials, or no such queue.
        """
        ctx.add_secrets({self.server(ctx.render).password})
        server, messages = self.take(self.id, ctx.render)
        ctx.logger.info(f"consumed {len(messages)} messages from {server.name}")
        return {"count": len(messages), "uri": store_items(ctx, messages)}


__all__ = ["Consume", "ConsumeFields", "Inbox", "message_of"]
