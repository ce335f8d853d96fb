"""``io.kestra.plugin.mqtt``: ``Publish``, ``Subscribe`` and the polling ``Trigger``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, model_validator

from orchestrator.models.duration import Duration
from orchestrator.scheduler.polling import Poll, PollContext, PollingTrigger
from orchestrator.tasks.base import RunnableTask
from plugins.messaging import (
    deserialize,
    failure,
    items_of,
    serialize,
    store_items,
    store_trigger_items,
)
from plugins.mqtt.client import MqttConnection, connected

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class Publish(RunnableTask, MqttConnection):
    """Publish messages to a topic; outputs ``messagesCount``.

    ``from`` is one payload, a list, a JSON array text or a storage URI of a file of them.
    The task waits for each message's acknowledgement (QoS 1 and 2).

    Example:
        ```yaml
        - id: publish
          type: io.kestra.plugin.mqtt.Publish
          server: tcp://localhost:1883
          topic: kestra/sensors/cpu
          from: {"value": 42}
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.mqtt.Publish"

    topic: str
    """The topic."""
    from_: Any = Field(alias="from")
    """The payloads."""
    retain: bool = False
    """Ask the broker to keep the last message for new subscribers."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Publish every payload.

        Raises:
            MessagingError: the broker is unreachable, refuses us, or does not acknowledge.
        """
        if self.password:
            ctx.add_secrets({ctx.render_text(self.password, "password")})
        topic = ctx.render_text(self.topic, "topic")
        payloads = items_of(ctx, self.from_, "from")
        timeout = self.connection_timeout.total_seconds()
        with connected(self.id, self.type, self, ctx.render) as (client, name):
            for payload in payloads:
                info = client.publish(
                    topic, serialize(payload, self.serde_type), qos=self.qos, retain=self.retain
                )
                try:
                    info.wait_for_publish(timeout)
                except (RuntimeError, ValueError) as exc:
                    raise failure(self.id, name, f"publishing to {topic!r}", exc) from None
                if not info.is_published():
                    raise failure(self.id, name, f"publishing to {topic!r}", "not acknowledged")
        return {"messagesCount": len(payloads)}


class SubscribeFields(MqttConnection):
    """What Subscribe and the polling trigger read, and when they stop."""

    topic: str | list[str]
    """The topic filter, or filters."""
    max_records: int | None = Field(default=None, ge=1)
    """Stop after this many messages."""
    max_duration: Duration | None = None
    """Stop after this long."""

    @model_validator(mode="after")
    def _bounded(self) -> SubscribeFields:
        if self.max_records is None and self.max_duration is None:
            raise ValueError("set maxRecords or maxDuration (or both)")
        return self

    def receive(self, task_id: str, render: Callable[[Any, str], Any]) -> list[dict[str, Any]]:
        """Subscribe and collect messages until ``maxRecords`` or ``maxDuration``.

        Raises:
            MessagingError: the broker is unreachable, refuses us, or the subscription.
        """
        rendered = render(self.topic, "topic")
        topics = [rendered] if isinstance(rendered, str) else [str(t) for t in rendered]
        received: list[dict[str, Any]] = []
        arrived = threading.Condition()

        def on_message(_client: Any, _data: Any, message: Any) -> None:
            with arrived:
                received.append(
                    {
                        "topic": message.topic,
                        "payload": deserialize(message.payload, self.serde_type),
                        "qos": message.qos,
                        "retain": bool(message.retain),
                        "messageId": message.mid,
                    }
                )
                arrived.notify_all()

        kind = str(getattr(self, "type", "mqtt"))
        with connected(task_id, kind, self, render) as (client, name):
            client.on_message = on_message
            result, _ = client.subscribe([(topic, self.qos) for topic in topics])
            if result != 0:
                raise failure(task_id, name, f"subscribing to {topics}", f"error {result}")
            self._wait(arrived, received)
            client.on_message = None
        with arrived:
            return received[: self.max_records] if self.max_records else list(received)

    def _wait(self, arrived: threading.Condition, received: list[dict[str, Any]]) -> None:
        deadline = (
            time.monotonic() + self.max_duration.total_seconds() if self.max_duration else None
        )
        with arrived:
            while self.max_records is None or len(received) < self.max_records:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return
                arrived.wait(left)


class Subscribe(RunnableTask, SubscribeFields):
    """Subscribe to topics and store the messages; outputs ``messagesCount`` and ``uri``.

    Needs ``maxRecords`` or ``maxDuration``. The file holds one JSON message per line:
    ``topic``, ``payload``, ``qos``, ``retain``, ``messageId``.

    Example:
        ```yaml
        - id: subscribe
          type: io.kestra.plugin.mqtt.Subscribe
          server: tcp://localhost:1883
          topic: [kestra/sensors/cpu, kestra/sensors/mem]
          maxRecords: 10
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.mqtt.Subscribe"

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Subscribe, collect and store.

        Raises:
            MessagingError: the broker is unreachable, refuses us, or the subscription.
        """
        if self.password:
            ctx.add_secrets({ctx.render_text(self.password, "password")})
        messages = self.receive(self.id, ctx.render)
        return {"messagesCount": len(messages), "uri": store_items(ctx, messages)}


class MqttTrigger(PollingTrigger, SubscribeFields):
    """Subscribe on an interval; one execution per non-empty batch of messages.

    The execution's ``trigger.uri`` is a file of the messages and
    ``trigger.messagesCount`` their number. MQTT delivers only messages published while
    subscribed (and retained ones): use a persistent session or a RealtimeTrigger-like
    source for gap-free delivery.
    """

    type_name: ClassVar[str] = "io.kestra.plugin.mqtt.Trigger"

    def evaluate(self, context: PollContext) -> list[Poll]:
        """Collect the messages of one subscription window; ask for one execution."""
        variables = {"flow": {"namespace": context.ref.namespace, "id": context.ref.flow_id}}

        def render(value: Any, path: str) -> Any:
            return context.renderer.render_recursive(
                value, variables, task_id=self.id, property_path=path
            )

        messages = self.receive(self.id, render)
        if not messages:
            return []
        uri = store_trigger_items(context.ref, self.id, messages)
        return [Poll({"messagesCount": len(messages), "uri": uri})]


__all__ = ["MqttTrigger", "Publish", "Subscribe", "SubscribeFields"]
