"""``io.kestra.plugin.amqp.Trigger`` (polling) and ``RealtimeTrigger`` (one per message)."""

from __future__ import annotations

from typing import Any, ClassVar

from orchestrator.scheduler.polling import Poll, PollContext, PollingTrigger
from orchestrator.scheduler.realtime import RealtimeContext, RealtimeTrigger
from plugins.amqp.connection import AmqpConnection, Server, channel_failure, connect
from plugins.amqp.consume import ConsumeFields, Inbox
from plugins.extras import require
from plugins.messaging import store_trigger_items

REALTIME_PREFETCH = 100
"""Messages delivered ahead of acknowledgements: at most one batch of executions."""


class AmqpTrigger(PollingTrigger, ConsumeFields):
    """Consume the waiting messages on an interval; one execution per non-empty batch.

    The execution's ``trigger.uri`` is a file of the messages (as ``Consume`` writes it)
    and ``trigger.count`` their number.

    Example:
        ```yaml
        triggers:
          - id: orders
            type: io.kestra.plugin.amqp.Trigger
            host: localhost
            queue: orders
            maxRecords: 100
            interval: PT30S
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.amqp.Trigger"

    def evaluate(self, context: PollContext) -> list[Poll]:
        """Consume the messages waiting; store them and ask for one execution."""
        variables = {"flow": {"namespace": context.ref.namespace, "id": context.ref.flow_id}}

        def render(value: Any, path: str) -> Any:
            return context.renderer.render_recursive(
                value, variables, task_id=self.id, property_path=path
            )

        _, messages = self.take(self.id, render)
        if not messages:
            return []
        uri = store_trigger_items(context.ref, self.id, messages)
        return [Poll({"count": len(messages), "uri": uri})]


class AmqpRealtimeTrigger(RealtimeTrigger, AmqpConnection):
    """Start one execution per message of a queue, as messages arrive.

    ``trigger`` carries the message: ``data``, ``headers`` and its properties. Unless
    ``autoAck``, a message is acknowledged once its execution is created.

    Example:
        ```yaml
        triggers:
          - id: orders
            type: io.kestra.plugin.amqp.RealtimeTrigger
            host: localhost
            queue: orders
            serdeType: JSON
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.amqp.RealtimeTrigger"

    queue: str
    """The queue; it must exist."""
    consumer_tag: str = "Kestra"
    """The consumer's tag."""
    auto_ack: bool = False
    """Let the broker acknowledge on delivery (a crash then loses the messages in flight)."""

    def subscribe(self, context: RealtimeContext) -> _AmqpSource:
        """Connect and start consuming the queue.

        Raises:
            MessagingError: unreachable, bad credentials, or no such queue.
        """
        pika = require("pika", extra="amqp", task_type=self.type)

        def render(value: Any, path: str) -> Any:
            return context.render(self, value, path)

        server = self.server(render)
        queue = str(render(self.queue, "queue"))
        connection = connect(self.id, self.type, server)
        try:
            channel = connection.channel()
            channel.basic_qos(prefetch_count=REALTIME_PREFETCH)
            inbox = Inbox(self.serde_type)
            channel.basic_consume(
                queue,
                inbox,
                auto_ack=self.auto_ack,
                consumer_tag=str(render(self.consumer_tag, "consumerTag")),
            )
        except pika.exceptions.AMQPError as exc:
            connection.close()
            raise channel_failure(self.id, server, f"consuming queue {queue!r}", exc) from None
        return _AmqpSource(self, server, connection, channel, inbox)


class _AmqpSource:
    """A consuming channel: messages in, acknowledged up to the last one handed over."""

    def __init__(
        self,
        trigger: AmqpRealtimeTrigger,
        server: Server,
        connection: Any,
        channel: Any,
        inbox: Inbox,
    ) -> None:
        self._trigger = trigger
        self._server = server
        self._connection = connection
        self._channel = channel
        self._inbox = inbox
        self._last_tag: int | None = None

    def receive(self, timeout: float) -> list[dict[str, Any]]:
        self._connection.process_data_events(time_limit=timeout)
        taken = self._inbox.take()
        if taken:
            self._last_tag = taken[-1][0]
        return [message for _, message in taken]

    def acknowledge(self) -> None:
        if self._last_tag is not None and not self._trigger.auto_ack:
            self._channel.basic_ack(self._last_tag, multiple=True)

    def close(self) -> None:
        if self._connection.is_open:
            self._connection.close()


__all__ = ["AmqpRealtimeTrigger", "AmqpTrigger"]
