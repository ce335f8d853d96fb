"""Kestra's KV store: pairs by namespace and key, with a type and an optional ttl."""

from orchestrator.kv.store import (
    KvError,
    KvStore,
    MemoryKvStore,
    default_store,
    set_default_store,
    store_key,
)
from orchestrator.models.kv import KvEntry, KvType

__all__ = [
    "KvEntry",
    "KvError",
    "KvStore",
    "KvType",
    "MemoryKvStore",
    "default_store",
    "set_default_store",
    "store_key",
]
