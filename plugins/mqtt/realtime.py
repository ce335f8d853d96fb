"""``io.kestra.plugin.mqtt.RealtimeTrigger``: one execution per message of topic filters.

A persistent session (a stable client id, not clean) with manual acknowledgements: a QoS
1 or 2 message is acknowledged to the broker once its execution is created; one not
acknowledged is kept by the broker and sent again when the trigger reconnects. QoS 0
messages have no acknowledgement (lost if the scheduler dies in between, as MQTT says).
"""

from __future__ import annotations

import queue
import re
import threading
import uuid
from contextlib import ExitStack
from typing import Any, ClassVar

from orchestrator.scheduler.realtime import RealtimeContext, RealtimeTrigger
from plugins.messaging import deserialize, failure
from plugins.mqtt.client import MqttConnection, Session, connected

BATCH = 100
"""Messages handed over at most per batch."""


class MqttRealtimeTrigger(RealtimeTrigger, MqttConnection):
    """Start one execution per message; ``trigger`` carries ``topic`` and ``payload``.

    Example:
        ```yaml
        triggers:
          - id: sensors
            type: io.kestra.plugin.mqtt.RealtimeTrigger
            server: tcp://localhost:1883
            topic: kestra/sensors/#
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.mqtt.RealtimeTrigger"

    topic: str | list[str]
    """The topic filter, or filters."""

    def subscribe(self, context: RealtimeContext) -> _MqttSource:
        """Connect with the trigger's persistent session and subscribe.

        Raises:
            MessagingError: refused, unreachable, or the subscription is refused.
        """

        def render(value: Any, path: str) -> Any:
            return context.render(self, value, path)

        rendered = render(self.topic, "topic")
        topics = [rendered] if isinstance(rendered, str) else [str(t) for t in rendered]
        inbox: queue.Queue[Any] = queue.Queue()
        ref = context.ref
        client_id = re.sub(
            r"[^A-Za-z0-9_-]", "-", f"kestrel-{ref.namespace}-{ref.flow_id}-{self.id}"
        )
        stack = ExitStack()
        session = Session(client_id[:64], lambda _client, _data, message: inbox.put(message))
        client, name = stack.enter_context(connected(self.id, self.type, self, render, session))
        result, _ = client.subscribe([(topic, self.qos) for topic in topics])
        if result != 0:
            stack.close()
            raise failure(self.id, name, f"subscribing to {topics}", f"error {result}")
        return _MqttSource(self, client, stack, inbox)


class _MqttSource:
    """Messages from paho's thread; acknowledged one by one on `acknowledge`."""

    def __init__(
        self, trigger: MqttRealtimeTrigger, client: Any, stack: ExitStack, inbox: queue.Queue[Any]
    ) -> None:
        self._trigger = trigger
        self._client = client
        self._stack = stack
        self._inbox = inbox
        self._pending: list[Any] = []

    def receive(self, timeout: float) -> list[dict[str, Any]]:
        try:
            messages = [self._inbox.get(timeout=timeout)]
        except queue.Empty:
            return []
        while len(messages) < BATCH:
            try:
                messages.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        self._pending += messages
        serde = self._trigger.serde_type
        return [
            {
                "topic": each.topic,
                "payload": deserialize(each.payload, serde),
                "qos": each.qos,
                "retain": bool(each.retain),
            }
            for each in messages
        ]

    def acknowledge(self) -> None:
        pending, self._pending = self._pending, []
        for message in pending:
            if message.qos > 0:
                self._client.ack(message.mid, message.qos)
        self._barrier()

    def _barrier(self) -> None:
        """Wait until the broker has read the acknowledgements sent so far.

        A broker handles a connection's packets in order, so the answer to a later request
        (an UNSUBSCRIBE of a topic nobody uses) proves the acknowledgements were read; a
        disconnection right after could otherwise drop them unread.
        """
        answered: set[int] = set()
        arrived = threading.Condition()

        def on_unsubscribe(_client: Any, _data: Any, mid: int, *_: Any) -> None:
            with arrived:
                answered.add(mid)
                arrived.notify_all()

        self._client.on_unsubscribe = on_unsubscribe
        _, mid = self._client.unsubscribe(f"kestrel/barrier/{uuid.uuid4().hex}")
        with arrived:
            arrived.wait_for(
                lambda: mid in answered, self._trigger.connection_timeout.total_seconds()
            )

    def close(self) -> None:
        self._stack.close()


__all__ = ["MqttRealtimeTrigger"]
