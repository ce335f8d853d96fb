"""A live reader of one topic for the records of a namespace (and those under it) or a flow.

The follow streams (``/executions/follow``, ``/triggers/follow``) read every partition of
their topic from a little before the request, because the index their page was read from
lags the topic, and keep only the records of the namespace or flow asked for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orchestrator.kafka import Record, TopicSpec, TopicTail
from orchestrator.settings import KestrelSettings


def in_namespace(namespace: str, wanted: str) -> bool:
    """Whether ``namespace`` is ``wanted`` or under it (namespaces nest on dots)."""
    return namespace == wanted or namespace.startswith(wanted.rstrip(".") + ".")


class ScopedTail:
    """Records of ``topic`` from ``since`` on (blocking: run it on the API's stream threads)."""

    def __init__(
        self,
        settings: KestrelSettings,
        topic: TopicSpec[Any],
        namespace: str | None,
        flow_id: str | None,
        since: datetime,
    ) -> None:
        """Read every partition of ``topic`` from ``since`` on, for this namespace or flow."""
        self.namespace = namespace
        self.flow_id = flow_id
        self._tail = TopicTail(settings, [topic], from_beginning=False, since=since)

    def in_scope(self, namespace: str, flow_id: str) -> bool:
        """Whether a record of ``namespace`` and ``flow_id`` is one the reader wants."""
        if self.namespace and not in_namespace(namespace, self.namespace):
            return False
        return not self.flow_id or flow_id == self.flow_id

    def records(self, timeout: float) -> list[Record]:
        """The records that arrived, waiting up to ``timeout`` seconds for a first one."""
        return self._tail.poll(timeout=timeout)

    def close(self) -> None:
        """Stop reading."""
        self._tail.close()


__all__ = ["ScopedTail", "in_namespace"]
