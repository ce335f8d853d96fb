"""The KV store interface, its in-memory implementation and the process's default store.

Workers, the template function ``kv()`` and the CLI use `default_store()`: the Kafka store
(`orchestrator.kv.kafka`) made on first use from the settings, unless a process installed
another one with `set_default_store` (``kestrel flow test`` installs a `MemoryKvStore`, so
it needs no Kafka).
"""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from datetime import datetime

from orchestrator.errors import OrchestratorError
from orchestrator.models.kv import KvEntry
from orchestrator.models.state import utcnow

KEY_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")
"""Kestra's rule for keys: letters, digits, dots, dashes and underscores."""


class KvError(OrchestratorError):
    """A KV operation failed (a bad key, a store that cannot be reached)."""


def store_key(namespace: str, key: str) -> str:
    """The topic key of a pair, ``namespace/key``, after checking the key.

    Raises:
        KvError: the key or the namespace is not valid.
    """
    if not KEY_PATTERN.match(key):
        raise KvError(f"invalid key {key!r}: letters, digits, '.', '-' and '_' only")
    if not namespace or "/" in namespace:
        raise KvError(f"invalid namespace {namespace!r}")
    return f"{namespace}/{key}"


class KvStore(ABC):
    """Where KV pairs live; reads see every write made before them (read-your-writes)."""

    @abstractmethod
    def _all(self) -> dict[str, KvEntry]:
        """Every pair, expired ones included, by ``namespace/key``."""

    @abstractmethod
    def put(self, entry: KvEntry) -> None:
        """Store ``entry`` (replacing the pair of the same namespace and key)."""

    @abstractmethod
    def _remove(self, namespace: str, key: str) -> None:
        """Delete the pair (a tombstone on Kafka)."""

    def get(self, namespace: str, key: str, now: datetime | None = None) -> KvEntry | None:
        """The live pair of ``namespace`` and ``key``, or None (missing or expired)."""
        entry = self._all().get(store_key(namespace, key))
        if entry is None or entry.expired(now or utcnow()):
            return None
        return entry

    def delete(self, namespace: str, key: str) -> bool:
        """Delete a pair; True if a live one was there."""
        existed = self.get(namespace, key) is not None
        if existed or store_key(namespace, key) in self._all():
            self._remove(namespace, key)
        return existed

    def entries(self) -> list[KvEntry]:
        """Every pair of every namespace, expired ones included (for purges)."""
        return list(self._all().values())

    def list(self, namespace: str, prefix: str = "", now: datetime | None = None) -> list[KvEntry]:
        """The live pairs of ``namespace`` whose key starts with ``prefix``, by key."""
        moment = now or utcnow()
        found = [
            entry
            for entry in self._all().values()
            if entry.namespace == namespace
            and entry.key.startswith(prefix)
            and not entry.expired(moment)
        ]
        return sorted(found, key=lambda entry: entry.key)

    def close(self) -> None:  # noqa: B027  # a do-nothing hook: most stores hold nothing
        """Release what the store holds (connections)."""


class MemoryKvStore(KvStore):
    """Pairs in a dict: for ``flow test`` and tests."""

    def __init__(self) -> None:
        self._entries: dict[str, KvEntry] = {}
        self._lock = threading.Lock()

    def _all(self) -> dict[str, KvEntry]:
        with self._lock:
            return dict(self._entries)

    def put(self, entry: KvEntry) -> None:
        """Store ``entry``."""
        with self._lock:
            self._entries[store_key(entry.namespace, entry.key)] = entry

    def _remove(self, namespace: str, key: str) -> None:
        with self._lock:
            self._entries.pop(store_key(namespace, key), None)


_default: KvStore | None = None
_default_lock = threading.Lock()


def set_default_store(store: KvStore | None) -> KvStore | None:
    """Install ``store`` as the process's KV store; return the one it replaces."""
    global _default
    with _default_lock:
        previous, _default = _default, store
        return previous


def default_store() -> KvStore:
    """The process's KV store: the installed one, else a Kafka store from the settings.

    Raises:
        KvError: the Kafka store cannot be made (the topic is missing, Kafka unreachable).
    """
    global _default
    with _default_lock:
        if _default is None:
            from orchestrator.kv.kafka import KafkaKvStore
            from orchestrator.settings import load_settings

            _default = KafkaKvStore(load_settings())
        return _default


__all__ = [
    "KEY_PATTERN",
    "KvError",
    "KvStore",
    "MemoryKvStore",
    "default_store",
    "set_default_store",
    "store_key",
]
