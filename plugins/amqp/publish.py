"""``io.kestra.plugin.amqp.Publish``: publish messages to an exchange."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from orchestrator.tasks.base import RunnableTask
from plugins.amqp.connection import AmqpConnection, channel_failure, connect
from plugins.extras import require
from plugins.messaging import items_of, serialize

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

_PROPERTIES = {  # Kestra's message fields -> pika.BasicProperties arguments
    "contentType": "content_type",
    "contentEncoding": "content_encoding",
    "deliveryMode": "delivery_mode",
    "priority": "priority",
    "correlationId": "correlation_id",
    "replyTo": "reply_to",
    "expiration": "expiration",
    "messageId": "message_id",
    "type": "type",
    "userId": "user_id",
    "appId": "app_id",
}


class Publish(RunnableTask, AmqpConnection):
    """Publish messages to an exchange; outputs ``messagesCount``.

    ``from`` is one message, a list, a JSON string or a storage URI of a file of messages.
    A message is ``{data, headers, contentType, messageId, appId, timestamp...}``; any other
    value is published as the data. Publisher confirms are on: the task fails unless the
    broker takes every message.

    Example:
        ```yaml
        - id: publish
          type: io.kestra.plugin.amqp.Publish
          host: localhost
          username: guest
          password: "{{ secret('AMQP_PASSWORD') }}"
          exchange: orders
          routingKey: new
          from:
            - data: value-1
              headers: {source: kestra}
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.amqp.Publish"

    exchange: str = ""
    """The exchange (the default exchange routes by queue name)."""
    routing_key: str = ""
    """The routing key."""
    from_: Any = Field(alias="from")
    """A message, a list, a JSON string, or a storage URI."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Publish every message with confirms.

        Raises:
            MessagingError: the broker is unreachable, refuses the login, or the exchange
                does not exist.
        """
        pika = require("pika", extra="amqp", task_type=self.type)
        server = self.server(ctx.render)
        ctx.add_secrets({server.password})
        messages = items_of(ctx, self.from_, "from")
        exchange = ctx.render_text(self.exchange, "exchange")
        routing_key = ctx.render_text(self.routing_key, "routingKey")
        connection = connect(self.id, self.type, server)
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            for message in messages:
                body, properties = self._message(pika, message)
                channel.basic_publish(exchange, routing_key, body, properties)
        except pika.exceptions.AMQPError as exc:
            raise channel_failure(self.id, server, "publishing", exc) from None
        finally:
            if connection.is_open:
                connection.close()
        ctx.logger.info(f"published {len(messages)} messages to {server.name}")
        return {"messagesCount": len(messages)}

    def _message(self, pika: Any, message: Any) -> tuple[bytes, Any]:
        if not isinstance(message, dict) or "data" not in message:
            return serialize(message, self.serde_type), pika.BasicProperties()
        options = {name: message[key] for key, name in _PROPERTIES.items() if key in message}
        if message.get("headers"):
            options["headers"] = {str(k): v for k, v in dict(message["headers"]).items()}
        stamp = message.get("timestamp")
        if isinstance(stamp, str):
            options["timestamp"] = _epoch(stamp)
        elif isinstance(stamp, int | float):
            options["timestamp"] = int(stamp)
        if "expiration" in options:
            options["expiration"] = str(options["expiration"])
        return serialize(message["data"], self.serde_type), pika.BasicProperties(**options)


def _epoch(stamp: str) -> int:
    """Seconds of an ISO date; Kestra writes nanoseconds, Python reads microseconds."""
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", stamp.replace("Z", "+00:00"))
    moment = datetime.fromisoformat(trimmed)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


__all__ = ["Publish"]
