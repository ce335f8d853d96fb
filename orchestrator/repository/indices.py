"""Names of Kestrel's Elasticsearch indices (docs/architecture.md section 6).

Two families, under a configurable prefix (``kestrel-`` by default):

- **Aliased** (``flows``, ``flow-revisions``, ``executions``, ``taskruns``, ``triggers``): the
  name everyone reads and writes (``kestrel-executions``) is an alias over one physical index
  ``kestrel-executions-000001``. ``kestrel indexer rebuild`` fills ``...-000002`` from the
  compacted topics and swaps the alias atomically, so the live indexer never stops.
- **Daily** (``logs``, ``metrics``): one physical index per UTC day,
  ``kestrel-logs-2026.11.24``, searched with ``kestrel-logs-*`` and dropped by
  ``kestrel indexer purge``.

Index templates match ``<prefix><kind>-*``; the alias names themselves never match a template,
so a write to a missing alias (``require_alias``) fails instead of auto-creating an index with
guessed mappings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum


class IndexKind(StrEnum):
    """The kinds of documents Kestrel keeps in Elasticsearch."""

    FLOWS = "flows"
    FLOW_REVISIONS = "flow-revisions"
    EXECUTIONS = "executions"
    TASKRUNS = "taskruns"
    TRIGGERS = "triggers"
    LOGS = "logs"
    METRICS = "metrics"

    @property
    def is_daily(self) -> bool:
        """Whether documents go to one index per day (logs, metrics)."""
        return self in (IndexKind.LOGS, IndexKind.METRICS)


ALIASED_KINDS = tuple(kind for kind in IndexKind if not kind.is_daily)
"""Kinds stored behind an alias (rebuildable from compacted topics)."""

DAILY_KINDS = tuple(kind for kind in IndexKind if kind.is_daily)
"""Kinds stored in daily indices (aged out by ``purge``)."""

_DAY_FORMAT = "%Y.%m.%d"


@dataclass(frozen=True)
class IndexNames:
    """Every index, alias, pattern and template name under one prefix."""

    prefix: str = "kestrel-"

    def alias(self, kind: IndexKind) -> str:
        """The alias of an aliased kind (``kestrel-executions``)."""
        if kind.is_daily:
            raise ValueError(f"{kind} is stored in daily indices, not behind an alias")
        return f"{self.prefix}{kind}"

    def physical(self, kind: IndexKind, number: int) -> str:
        """Physical index number ``number`` of an aliased kind (``kestrel-executions-000001``)."""
        return f"{self.prefix}{kind}-{number:06d}"

    def pattern(self, kind: IndexKind) -> str:
        """Pattern matching every physical index of ``kind`` (``kestrel-logs-*``)."""
        return f"{self.prefix}{kind}-*"

    def search_target(self, kind: IndexKind) -> str:
        """What searches of ``kind`` name: the alias, or the daily pattern."""
        return self.pattern(kind) if kind.is_daily else self.alias(kind)

    def template(self, kind: IndexKind) -> str:
        """Name of the index template of ``kind``."""
        return f"{self.prefix}{kind}"

    def daily(self, kind: IndexKind, when: datetime | date) -> str:
        """The daily index of ``kind`` holding documents of ``when`` (its UTC day)."""
        if not kind.is_daily:
            raise ValueError(f"{kind} is not stored in daily indices")
        if isinstance(when, datetime):
            when = (when.astimezone(UTC) if when.tzinfo else when).date()
        return f"{self.prefix}{kind}-{when.strftime(_DAY_FORMAT)}"

    def day_of(self, kind: IndexKind, index: str) -> date | None:
        """The day of a daily index name, None when ``index`` is not one of ``kind``."""
        match = re.fullmatch(re.escape(f"{self.prefix}{kind}-") + r"(\d{4}\.\d{2}\.\d{2})", index)
        if match is None:
            return None
        try:
            return datetime.strptime(match.group(1), _DAY_FORMAT).date()
        except ValueError:
            return None

    def number_of(self, kind: IndexKind, index: str) -> int | None:
        """The number of a physical index of an aliased kind, None when it is not one."""
        match = re.fullmatch(re.escape(f"{self.prefix}{kind}-") + r"(\d{6,})", index)
        return int(match.group(1)) if match else None
