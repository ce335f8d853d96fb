"""``io.kestra.plugin.nats``: ``Produce``, ``Consume`` (JetStream), the polling ``Trigger``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from orchestrator.models.duration import Duration
from orchestrator.scheduler.polling import Poll, PollContext, PollingTrigger
from orchestrator.tasks.base import RunnableTask
from plugins.extras import require
from plugins.messaging import failure, items_of, store_items, store_trigger_items
from plugins.nats.client import NatsConnection, connected

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

DeliverPolicy = Literal["All", "Last", "New", "ByStartSequence", "ByStartTime", "LastPerSubject"]


def policy_of(policy: DeliverPolicy) -> Any:
    """Kestra's ``deliverPolicy`` as nats-py's."""
    from nats.js.api import DeliverPolicy as Policy

    return {
        "All": Policy.ALL,
        "Last": Policy.LAST,
        "New": Policy.NEW,
        "ByStartSequence": Policy.BY_START_SEQUENCE,
        "ByStartTime": Policy.BY_START_TIME,
        "LastPerSubject": Policy.LAST_PER_SUBJECT,
    }[policy]


class Produce(RunnableTask, NatsConnection):
    """Publish messages to a subject; outputs ``messagesCount``.

    ``from`` is one message, a list, a JSON array text or a storage URI of a file of them;
    a message is ``{headers, data}`` (any other value is the data). Data is sent as text
    (values other than strings as JSON).

    Example:
        ```yaml
        - id: produce
          type: io.kestra.plugin.nats.Produce
          url: nats://localhost:4222
          subject: kestra.orders
          from:
            - headers: {source: kestra}
              data: order-1
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.nats.Produce"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.nats.core.Produce",)

    from_: Any = Field(alias="from")
    """The messages."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Publish every message and flush.

        Raises:
            MessagingError: the server is unreachable or refuses us.
        """
        ctx.add_secrets(self.secrets(ctx.render))
        subject = ctx.render_text(self.subject, "subject")
        messages = items_of(ctx, self.from_, "from")
        return asyncio.run(self._produce(ctx, subject, messages))

    async def _produce(self, ctx: RunContext, subject: str, messages: list[Any]) -> dict[str, Any]:
        nats = require("nats", extra="nats", task_type=self.type)
        async with connected(self.id, self.type, self, ctx.render) as (client, name):
            try:
                for message in messages:
                    headers = None
                    data = message
                    if isinstance(message, dict) and "data" in message:
                        data = message["data"]
                        headers = {
                            str(k): str(v) for k, v in (message.get("headers") or {}).items()
                        }
                    await client.publish(subject, _encode(data), headers=headers or None)
                await client.flush()
            except nats.errors.Error as exc:
                raise failure(self.id, name, f"publishing to {subject!r}", exc) from None
        return {"messagesCount": len(messages)}


def _encode(data: Any) -> bytes:
    import json

    return data.encode() if isinstance(data, str) else json.dumps(data, default=str).encode()


class ConsumeFields(NatsConnection):
    """What Consume and the polling trigger read from JetStream, and when they stop."""

    durable_id: str | None = None
    """A durable consumer: its position is kept between runs (else all is read again)."""
    deliver_policy: DeliverPolicy = "All"
    """Where a new consumer starts in the stream."""
    batch_size: int = Field(default=10, ge=1)
    """Messages fetched per request."""
    poll_duration: Duration = Field(default=timedelta(seconds=2))
    """Stop when a fetch this long finds nothing."""
    max_records: int | None = Field(default=None, ge=1)
    """Stop after this many messages."""
    max_duration: Duration | None = None
    """Stop after this long."""

    def consume(self, task_id: str, render: Callable[[Any, str], Any]) -> list[dict[str, Any]]:
        """Fetch and acknowledge messages until a stop condition.

        Raises:
            MessagingError: unreachable, refused, or no stream captures the subject.
        """
        return asyncio.run(self._consume(task_id, render))

    async def _consume(
        self, task_id: str, render: Callable[[Any, str], Any]
    ) -> list[dict[str, Any]]:
        kind = str(getattr(self, "type", "nats"))
        nats = require("nats", extra="nats", task_type=kind)
        from nats.js.api import ConsumerConfig

        subject = str(render(self.subject, "subject"))
        durable = str(render(self.durable_id, "durableId")) if self.durable_id else None
        policy = policy_of(self.deliver_policy)
        received: list[dict[str, Any]] = []
        async with connected(task_id, kind, self, render) as (client, name):
            try:
                subscription = await client.jetstream().pull_subscribe(
                    subject, durable=durable, config=ConsumerConfig(deliver_policy=policy)
                )
            except nats.js.errors.NotFoundError:
                raise failure(
                    task_id, name, "subscribing", f"no stream captures subject {subject!r}"
                ) from None
            except nats.errors.Error as exc:
                raise failure(task_id, name, f"subscribing to {subject!r}", exc) from None
            await self._fetch(subscription, received, nats)
            await subscription.unsubscribe()
        return received

    async def _fetch(self, subscription: Any, received: list[dict[str, Any]], nats: Any) -> None:
        started = time.monotonic()
        limit = self.max_duration.total_seconds() if self.max_duration else None
        while self.max_records is None or len(received) < self.max_records:
            wait = self.poll_duration.total_seconds()
            if limit is not None:
                wait = min(wait, limit - (time.monotonic() - started))
                if wait <= 0:
                    return
            want = self.batch_size
            if self.max_records is not None:
                want = min(want, self.max_records - len(received))
            try:
                messages = await subscription.fetch(want, timeout=wait)
            except TimeoutError:  # nats-py raises its own or asyncio's
                return  # nothing new within pollDuration
            for message in messages:
                received.append(
                    {
                        "subject": message.subject,
                        "headers": dict(message.headers or {}),
                        "data": message.data.decode("utf-8", errors="replace"),
                        "timestamp": message.metadata.timestamp.isoformat(),
                    }
                )
                await message.ack()


class Consume(RunnableTask, ConsumeFields):
    """Consume messages of a subject from JetStream into a file.

    Outputs ``messagesCount`` and ``uri``; the file holds one JSON message per line:
    ``subject``, ``headers``, ``data``, ``timestamp``. Messages are acknowledged.

    Example:
        ```yaml
        - id: consume
          type: io.kestra.plugin.nats.Consume
          url: nats://localhost:4222
          subject: kestra.>
          durableId: kestra
          pollDuration: PT5S
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.nats.Consume"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.nats.core.Consume",)

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Consume and store the messages.

        Raises:
            MessagingError: unreachable, refused, or no stream captures the subject.
        """
        ctx.add_secrets(self.secrets(ctx.render))
        messages = self.consume(self.id, ctx.render)
        return {"messagesCount": len(messages), "uri": store_items(ctx, messages)}


class NatsTrigger(PollingTrigger, ConsumeFields):
    """Consume new messages on an interval; one execution per non-empty batch.

    The execution's ``trigger.uri`` is a file of the messages and
    ``trigger.messagesCount`` their number. Use a ``durableId`` so each poll reads only
    new messages.
    """

    type_name: ClassVar[str] = "io.kestra.plugin.nats.Trigger"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.nats.core.Trigger",)

    def evaluate(self, context: PollContext) -> list[Poll]:
        """Consume the messages waiting; store them and ask for one execution."""
        variables = {"flow": {"namespace": context.ref.namespace, "id": context.ref.flow_id}}

        def render(value: Any, path: str) -> Any:
            return context.renderer.render_recursive(
                value, variables, task_id=self.id, property_path=path
            )

        messages = self.consume(self.id, render)
        if not messages:
            return []
        uri = store_trigger_items(context.ref, self.id, messages)
        return [Poll({"messagesCount": len(messages), "uri": uri})]


__all__ = ["Consume", "ConsumeFields", "DeliverPolicy", "NatsTrigger", "Produce", "policy_of"]
