"""Flows for the executor: every revision, kept in memory from the compacted flow topics."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from orchestrator.kafka import TOPICS, DeserializationError, Record, TopicTail
from orchestrator.models.flow import Flow
from orchestrator.models.messages import FlowRecord
from orchestrator.settings import KestrelSettings

log = logging.getLogger("kestrel.executor.flows")


class FlowStore:
    """Follows ``flows`` and ``flow-revisions``; answers the engine's flow lookups."""

    def __init__(self, settings: KestrelSettings) -> None:
        """Start following the flow topics from their beginning."""
        self._tail = TopicTail(settings, [TOPICS.flows, TOPICS.flow_revisions])
        self._latest: dict[tuple[str, str], FlowRecord | None] = {}
        self._revisions: dict[tuple[str, str, int], FlowRecord] = {}
        self._parsed: dict[tuple[str, str, int], Flow] = {}
        self.version = 0  # grows with every flow record taken in (for derived indexes)

    def poll(self, timeout: float = 0.0) -> int:
        """Take in the flow records available now; return how many arrived."""
        records = self._tail.poll(timeout=timeout)
        for record in records:
            self._take(record)
        return len(records)

    def catch_up(self, timeout: float = 5.0) -> bool:
        """Read both flow topics to their current end (a flow deployed a moment ago).

        Returns:
            Whether the end was reached within ``timeout``.
        """
        reached, records = self._tail.catch_up(timeout)
        for record in records:
            self._take(record)
        return reached

    def _take(self, record: Record) -> None:
        self.version += 1
        spec = self._tail.topics.spec_of(record.topic)
        try:
            flow = record.decoded(spec)
        except DeserializationError as exc:
            log.error("ignoring an unreadable flow record: %s", exc)
            return
        key = record.key_str or ""
        if spec is TOPICS.flows:
            namespace, _, flow_id = key.partition("/")
            self._latest[(namespace, flow_id)] = flow if isinstance(flow, FlowRecord) else None
        if isinstance(flow, FlowRecord):
            self._revisions[(flow.namespace, flow.id, flow.revision)] = flow

    def flow(self, namespace: str, flow_id: str, revision: int | None = None) -> Flow | None:
        """Return a revision of a flow (the latest when ``revision`` is None), or None."""
        if revision is None:
            record = self._latest.get((namespace, flow_id))
            if record is None or record.deleted:
                return None
            revision = record.revision
        key = (namespace, flow_id, revision)
        parsed = self._parsed.get(key)
        if parsed is None:
            stored = self._revisions.get(key)
            if stored is None:
                return None
            try:
                parsed = Flow.model_validate(stored.flow)
            except ValidationError as exc:
                log.error(
                    "revision %s of %s.%s is not a valid flow: %s",
                    revision,
                    namespace,
                    flow_id,
                    exc,
                )
                return None
            self._parsed[key] = parsed
        return parsed

    def latest(self) -> list[Flow]:
        """The latest revision of every deployed flow (invalid ones left out)."""
        found = []
        for (namespace, flow_id), record in list(self._latest.items()):
            if record is not None and not record.deleted:
                flow = self.flow(namespace, flow_id)
                if flow is not None:
                    found.append(flow)
        return found

    def close(self) -> None:
        """Stop following."""
        self._tail.close()
