"""``io.kestra.plugin.nats.RealtimeTrigger``: one execution per JetStream message.

A durable pull consumer with explicit acknowledgements: the messages of a batch are
acknowledged once their executions are created. Closing gives the others back at once
(NAK); after a crash the server delivers them again when the consumer's ack wait ends.
nats-py is asynchronous: the source keeps an event loop of its own and runs it from the
subscription's thread.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from pydantic import Field

from orchestrator.scheduler.realtime import RealtimeContext, RealtimeTrigger
from plugins.extras import require
from plugins.messaging import failure
from plugins.nats.client import NatsConnection, connected
from plugins.nats.tasks import DeliverPolicy, policy_of


class NatsRealtimeTrigger(RealtimeTrigger, NatsConnection):
    """Start one execution per message of a subject.

    ``trigger`` carries the message: ``subject``, ``headers``, ``data``, ``timestamp``.

    Example:
        ```yaml
        triggers:
          - id: watch
            type: io.kestra.plugin.nats.RealtimeTrigger
            url: nats://localhost:4222
            subject: kestra.trigger
            durableId: natsTrigger
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.nats.RealtimeTrigger"

    durable_id: str | None = None
    """The durable consumer (default: one named after the flow and the trigger)."""
    deliver_policy: DeliverPolicy = "All"
    """Where a new consumer starts in the stream."""
    batch_size: int = Field(default=10, ge=1)
    """Messages fetched per request."""

    def subscribe(self, context: RealtimeContext) -> _NatsSource:
        """Connect and bind the durable pull consumer.

        Raises:
            MessagingError: unreachable, refused, or no stream captures the subject.
        """
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(self._open(context, loop))
        except BaseException:
            loop.close()
            raise

    async def _open(self, context: RealtimeContext, loop: asyncio.AbstractEventLoop) -> _NatsSource:
        nats = require("nats", extra="nats", task_type=self.type)
        from nats.js.api import AckPolicy, ConsumerConfig

        def render(value: Any, path: str) -> Any:
            return context.render(self, value, path)

        subject = str(render(self.subject, "subject"))
        durable = (
            str(render(self.durable_id, "durableId"))
            if self.durable_id
            else f"kestrel_{context.ref.namespace}_{context.ref.flow_id}_{self.id}".replace(
                ".", "_"
            )
        )
        opened = connected(self.id, self.type, self, render)
        client, name = await opened.__aenter__()
        try:
            subscription = await client.jetstream().pull_subscribe(
                subject,
                durable=durable,
                config=ConsumerConfig(
                    deliver_policy=policy_of(self.deliver_policy), ack_policy=AckPolicy.EXPLICIT
                ),
            )
        except nats.errors.Error as exc:
            await opened.__aexit__(None, None, None)
            missing = isinstance(exc, nats.js.errors.NotFoundError)
            detail = f"no stream captures subject {subject!r}" if missing else exc
            raise failure(self.id, name, "subscribing", detail) from None
        return _NatsSource(loop, opened, subscription, self.batch_size, nats)


class _NatsSource:
    """Fetches batches on its own loop; acknowledges the last batch's messages."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, opened: Any, subscription: Any, batch: int, nats: Any
    ) -> None:
        self._loop = loop
        self._opened = opened
        self._subscription = subscription
        self._batch = batch
        self._nats = nats
        self._pending: list[Any] = []

    def receive(self, timeout: float) -> list[dict[str, Any]]:
        try:
            messages = self._loop.run_until_complete(
                self._subscription.fetch(self._batch, timeout=max(timeout, 0.05))
            )
        except TimeoutError:  # nats-py raises its own or asyncio's
            return []
        self._pending += messages
        return [
            {
                "subject": each.subject,
                "headers": dict(each.headers or {}),
                "data": each.data.decode("utf-8", errors="replace"),
                "timestamp": each.metadata.timestamp.isoformat(),
            }
            for each in messages
        ]

    def acknowledge(self) -> None:
        pending, self._pending = self._pending, []
        for message in pending:
            self._loop.run_until_complete(message.ack())

    def close(self) -> None:
        pending, self._pending = self._pending, []
        try:
            for message in pending:  # not acknowledged: delivered again now
                self._loop.run_until_complete(message.nak())
            self._loop.run_until_complete(self._opened.__aexit__(None, None, None))
        finally:
            self._loop.close()


__all__ = ["NatsRealtimeTrigger"]
