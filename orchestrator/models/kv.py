"""A key-value pair of Kestra's KV store, as the compacted ``kv`` topic carries it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from orchestrator.models.messages import Message
from orchestrator.models.state import utcnow


class KvType(StrEnum):
    """Kestra's value types of a KV pair."""

    STRING = "STRING"
    NUMBER = "NUMBER"
    BOOLEAN = "BOOLEAN"
    DATETIME = "DATETIME"
    DATE = "DATE"
    DURATION = "DURATION"
    JSON = "JSON"


class KvEntry(Message):
    """One pair, keyed ``namespace/key`` on the topic; a tombstone deletes it."""

    type: Literal["kv-entry"] = "kv-entry"
    namespace: str
    key: str
    value: Any = None
    kv_type: KvType = KvType.STRING
    description: str | None = None
    expires: datetime | None = None
    """When the pair stops existing (its ``ttl`` after it was set); None: never."""
    updated: datetime = Field(default_factory=utcnow)

    def expired(self, now: datetime) -> bool:
        """Whether the pair's ttl has run out at ``now``."""
        return self.expires is not None and now >= self.expires


__all__ = ["KvEntry", "KvType"]
