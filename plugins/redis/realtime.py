"""``io.kestra.plugin.redis.list.RealtimeTrigger``: one execution per element of a list.

A Redis list has no acknowledgement, so the trigger makes one: each element is moved
atomically (LMOVE) from the list to a processing list of its own, and removed from there
only once its execution is created. Elements left in the processing list by a crash or a
revocation go back to the head of the list when the trigger subscribes again: none is
lost, and one repeats only if the scheduler dies between its commit and the removal.
"""

from __future__ import annotations

from typing import Any, ClassVar

from orchestrator.scheduler.realtime import RealtimeContext, RealtimeTrigger
from plugins.extras import require
from plugins.messaging import deserialize, failure
from plugins.redis.connection import TIMEOUT, RedisConnection, server_name

BATCH = 100
"""Elements moved at most per batch."""


class ListRealtimeTrigger(RealtimeTrigger, RedisConnection):
    """Start one execution per element pushed to a list; ``trigger.value`` is the element.

    Example:
        ```yaml
        triggers:
          - id: watch
            type: io.kestra.plugin.redis.list.RealtimeTrigger
            url: redis://localhost:6379/0
            key: mytriggerkey
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.redis.list.RealtimeTrigger"

    key: str
    """The list's key; elements are taken from its head."""

    def subscribe(self, context: RealtimeContext) -> _ListSource:
        """Connect, and give back the elements a previous subscription left unacknowledged.

        Raises:
            MessagingError: the server is unreachable or refuses us.
        """
        redis = require("redis", extra="redis", task_type=self.type)
        url = str(context.render(self, self.url, "url"))
        key = str(context.render(self, self.key, "key"))
        client = redis.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT * 2
        )
        processing = (
            f"{key}:kestrel-processing:{context.ref.namespace}:{context.ref.flow_id}:{self.id}"
        )
        try:
            # Oldest first back to the head, so the list's order is kept.
            while client.lmove(processing, key, "RIGHT", "LEFT") is not None:
                pass
        except redis.exceptions.RedisError as exc:
            client.close()
            raise failure(self.id, server_name(url), f"recovering list {key!r}", exc) from None
        return _ListSource(self, client, url, key, processing)


class _ListSource:
    """Moves elements to the processing list; acknowledging empties it."""

    def __init__(
        self, trigger: ListRealtimeTrigger, client: Any, url: str, key: str, processing: str
    ) -> None:
        self._trigger = trigger
        self._client = client
        self._url = url
        self._key = key
        self._processing = processing

    def receive(self, timeout: float) -> list[dict[str, Any]]:
        client = self._client
        first = client.blmove(self._key, self._processing, max(timeout, 0.01), "LEFT", "RIGHT")
        if first is None:
            return []
        moved = [first]
        while len(moved) < BATCH:
            more = client.lmove(self._key, self._processing, "LEFT", "RIGHT")
            if more is None:
                break
            moved.append(more)
        return [{"value": deserialize(each, self._trigger.serde_type)} for each in moved]

    def acknowledge(self) -> None:
        self._client.delete(self._processing)

    def close(self) -> None:
        self._client.close()


__all__ = ["ListRealtimeTrigger"]
