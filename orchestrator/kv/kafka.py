"""The KV store on Kafka: the compacted ``kv`` topic, keyed ``namespace/key``.

Each process keeps a tail of every partition of the topic (no consumer group) and a dict of
the pairs. Before answering a read it reads the tail to the high watermarks of the moment,
so a read sees every write acknowledged before it, its own included (read-your-writes
within an execution, whichever worker ran the Set). Writes are plain produces, flushed
before they return; a tombstone deletes.
"""

from __future__ import annotations

import logging
import threading

from orchestrator.kafka import TOPICS, DeserializationError, KafkaProducer, TopicTail
from orchestrator.kafka.serde import decode_or_tombstone
from orchestrator.kv.store import KvError, KvStore, store_key
from orchestrator.models.kv import KvEntry
from orchestrator.settings import KestrelSettings

log = logging.getLogger("kestrel.kv")

CATCH_UP_SECONDS = 10.0
"""How long a read waits for the tail to reach the topic's end before it fails."""


class KafkaKvStore(KvStore):
    """KV pairs in the compacted ``kv`` topic, read through a tail of this process."""

    def __init__(self, settings: KestrelSettings) -> None:
        """Open the tail and the producer (the topic must exist: `kestrel topics create`).

        Raises:
            KvError: the topic does not exist or Kafka cannot be reached.
        """
        self._lock = threading.Lock()
        self._entries: dict[str, KvEntry] = {}
        try:
            self._tail = TopicTail(settings, [TOPICS.kv])
        except Exception as exc:  # the wrappers' typed errors, worded for a KV user
            raise KvError(f"the KV store cannot be read: {exc}") from exc
        self._producer = KafkaProducer(settings)

    def _catch_up(self) -> None:
        reached, records = self._tail.catch_up(CATCH_UP_SECONDS)
        for record in records:
            key = record.key_str
            if key is None:
                continue
            try:
                entry = decode_or_tombstone(TOPICS.kv, record.value)
            except DeserializationError as exc:
                # Every process tails the topic: the indexer dead-letters it, once.
                log.warning(
                    "skipping a malformed KV pair %r at %s[%d]@%d: %s",
                    key,
                    record.topic,
                    record.partition,
                    record.offset,
                    exc,
                )
                continue
            if entry is None:
                self._entries.pop(key, None)
            else:
                self._entries[key] = entry
        if not reached:
            raise KvError(f"the KV store did not catch up within {CATCH_UP_SECONDS:g} s")

    def _all(self) -> dict[str, KvEntry]:
        with self._lock:
            self._catch_up()
            return dict(self._entries)

    def put(self, entry: KvEntry) -> None:
        """Produce the pair and wait for the broker to acknowledge it."""
        with self._lock:
            self._producer.send(TOPICS.kv, store_key(entry.namespace, entry.key), entry)
            self._producer.flush()

    def _remove(self, namespace: str, key: str) -> None:
        with self._lock:
            self._producer.send(TOPICS.kv, store_key(namespace, key), None)
            self._producer.flush()

    def close(self) -> None:
        """Close the tail and the producer."""
        self._tail.close()
        self._producer.close()


__all__ = ["CATCH_UP_SECONDS", "KafkaKvStore"]
