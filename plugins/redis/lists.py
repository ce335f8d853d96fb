"""``io.kestra.plugin.redis.list``: ``ListPush``, ``ListPop`` and the polling ``Trigger``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, model_validator

from orchestrator.models.duration import Duration
from orchestrator.scheduler.polling import Poll, PollContext, PollingTrigger
from orchestrator.tasks.base import RunnableTask
from plugins.messaging import deserialize, items_of, serialize, store_items, store_trigger_items
from plugins.redis.connection import RedisConnection, connected, secrets_of, server_name

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class ListPush(RunnableTask, RedisConnection):
    """Push values to the head of a list (LPUSH); outputs ``count``.

    ``from`` is a value, a list, a JSON array text or a storage URI of a file of values.

    Example:
        ```yaml
        - id: push
          type: io.kestra.plugin.redis.list.ListPush
          url: redis://localhost:6379/0
          key: mylist
          from: [a, b]
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.redis.list.ListPush"

    key: str
    """The list's key."""
    from_: Any = Field(alias="from")
    """The values."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Push the values.

        Raises:
            MessagingError: the server fails the command.
        """
        url = ctx.render_text(self.url, "url")
        ctx.add_secrets(secrets_of(url))
        key = ctx.render_text(self.key, "key")
        values = [serialize(each, self.serde_type) for each in items_of(ctx, self.from_, "from")]
        with connected(self.id, self.type, url, f"pushing to list {key!r}") as client:
            if values:
                client.lpush(key, *values)
        return {"count": len(values)}


class PopFields(RedisConnection):
    """What ListPop and the list Trigger read, and when they stop."""

    key: str
    """The list's key."""
    count: int = Field(default=100, ge=1)
    """Elements popped per call."""
    max_records: int | None = Field(default=None, ge=1)
    """Stop after this many elements."""
    max_duration: Duration | None = None
    """Stop after this long (the list is then polled once a second at most)."""

    @model_validator(mode="after")
    def _bounded(self) -> PopFields:
        if self.max_records is None and self.max_duration is None:
            raise ValueError("set maxRecords or maxDuration (or both)")
        return self

    def pop(self, task_id: str, render: Callable[[Any, str], Any]) -> list[Any]:
        """Pop elements until ``maxRecords`` or ``maxDuration`` (or the list is empty).

        Raises:
            MessagingError: the server fails the command.
        """
        url = str(render(self.url, "url"))
        key = str(render(self.key, "key"))
        kind = str(getattr(self, "type", "redis"))
        started = time.monotonic()
        limit = self.max_duration.total_seconds() if self.max_duration else None
        popped: list[Any] = []
        with connected(task_id, kind, url, f"popping list {key!r}") as client:
            while self.max_records is None or len(popped) < self.max_records:
                want = self.count
                if self.max_records is not None:
                    want = min(want, self.max_records - len(popped))
                batch = client.lpop(key, want) or []
                popped += [deserialize(each, self.serde_type) for each in batch]
                elapsed = time.monotonic() - started
                if limit is None and not batch:
                    break  # maxRecords only: the list is empty, stop rather than wait
                if limit is not None and elapsed >= limit:
                    break
                if not batch and limit is not None:
                    # An empty list: block for the next element instead of spinning.
                    found = client.blpop([key], timeout=min(1.0, max(limit - elapsed, 0.01)))
                    if found is not None:
                        popped.append(deserialize(found[1], self.serde_type))
        return popped


class ListPop(RunnableTask, PopFields):
    """Pop elements from the head of a list into a file; outputs ``count`` and ``uri``.

    Example:
        ```yaml
        - id: pop
          type: io.kestra.plugin.redis.list.ListPop
          url: redis://localhost:6379/0
          key: mylist
          maxRecords: 10
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.redis.list.ListPop"

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Pop and store the elements.

        Raises:
            MessagingError: the server fails the command.
        """
        url = ctx.render_text(self.url, "url")
        ctx.add_secrets(secrets_of(url))
        values = self.pop(self.id, ctx.render)
        ctx.logger.info(f"popped {len(values)} elements from {server_name(url)}")
        return {"count": len(values), "uri": store_items(ctx, values)}


class ListTrigger(PollingTrigger, PopFields):
    """Pop the waiting elements on an interval; one execution per non-empty batch.

    The execution's ``trigger.uri`` is a file of the elements and ``trigger.count`` their
    number. Elements are popped before the execution is created: a scheduler crash in
    between loses them (Redis lists have no acknowledgement).
    """

    type_name: ClassVar[str] = "io.kestra.plugin.redis.list.Trigger"

    def evaluate(self, context: PollContext) -> list[Poll]:
        """Pop the elements waiting; store them and ask for one execution."""
        variables = {"flow": {"namespace": context.ref.namespace, "id": context.ref.flow_id}}

        def render(value: Any, path: str) -> Any:
            return context.renderer.render_recursive(
                value, variables, task_id=self.id, property_path=path
            )

        values = self.pop(self.id, render)
        if not values:
            return []
        return [
            Poll({"count": len(values), "uri": store_trigger_items(context.ref, self.id, values)})
        ]


__all__ = ["ListPop", "ListPush", "ListTrigger", "PopFields"]
