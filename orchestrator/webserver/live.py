"""What the webserver keeps in memory from Kafka: the deployed flows, always current."""

from __future__ import annotations

import logging
import threading

from orchestrator.control import flow_key
from orchestrator.kafka import TOPICS, DeserializationError, Record, TopicTail
from orchestrator.models.messages import FlowRecord
from orchestrator.settings import KestrelSettings

log = logging.getLogger("kestrel.webserver")


class LiveFlows:
    """Every flow's latest record, read from the ``flows`` topic by a background thread.

    A question after a write of this process sees the write (`remember`); writes of other
    processes are seen as soon as the reader gets them (well under a second).
    """

    def __init__(self, settings: KestrelSettings) -> None:
        """Read the topic from its beginning (call `start`)."""
        self._settings = settings
        self._records: dict[str, FlowRecord] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._tail: TopicTail | None = None
        self._thread = threading.Thread(target=self._loop, name="live-flows", daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        """Start reading and wait until the topic was read to its end once."""
        self._tail = TopicTail(self._settings, [TOPICS.flows], from_beginning=True)
        self._take(self._tail.catch_up(timeout)[1])
        self._ready.set()
        self._thread.start()

    def _take(self, records: list[Record]) -> None:
        for record in records:
            try:
                value = record.decoded(TOPICS.flows)
            except DeserializationError as exc:
                log.warning("unreadable flow record skipped: %s", exc)
                continue
            if isinstance(value, FlowRecord):
                self.remember(value)

    def _loop(self) -> None:
        assert self._tail is not None
        while not self._stop.is_set():
            try:
                self._take(self._tail.poll(timeout=0.5))
            except Exception:  # a broker hiccup must not end the reader
                log.exception("reading flows failed; retrying")
                self._stop.wait(1.0)

    def records(self) -> dict[str, FlowRecord]:
        """Every flow's latest record by ``namespace/id``."""
        with self._lock:
            return dict(self._records)

    def get(self, namespace: str, flow_id: str) -> FlowRecord | None:
        """One flow's latest record, or None."""
        with self._lock:
            return self._records.get(flow_key(namespace, flow_id))

    def remember(self, record: FlowRecord) -> None:
        """Keep ``record`` unless a newer revision is known."""
        key = flow_key(record.namespace, record.id)
        with self._lock:
            known = self._records.get(key)
            if known is None or known.revision <= record.revision:
                self._records[key] = record

    def close(self) -> None:
        """Stop reading."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self._tail is not None:
            self._tail.close()
