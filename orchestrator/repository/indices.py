"""Names of Kestrel's Elasticsearch indices (docs/architecture.md section 6).

Two families, under a configurable prefix (``kestrel-`` by default):

- **Aliased** (``flows``, ``flow-revisions``, ``executions``, ``taskruns``, ``triggers``): the
  name everyone reads and writes (``kestrel-executions``) is an alias over one physical index
  ``kestrel-executions-000001``. ``kestrel indexer rebuild`` fills ``...-000002`` from the
  compacted topics and swaps the alias atomically, so the live indexer never stops.
- **Daily** (``logs``, ``metrics``): one physical index per UTC day,
  ``kestrel-logs-2026.11.24``, searched with ``kestrel-logs-*`` and dropped by
  ``kestrel indexer purge``.
- **Daily, kept** (``execution-summaries``): a small document per execution in the index of
  the day it started, for the executions list and the statistics; a search of a time range
  names only the days of the range (``covering``). Not purged by age: they live as long as
  their executions. ``execution-stats`` (aliased) holds one document per day and flow,
  computed from that day's summaries, for the dashboard.

Index templates match ``<prefix><kind>-*``; the alias names themselves never match a template,
so a write to a missing alias (``require_alias``) fails instead of auto-creating an index with
guessed mappings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
    EXECUTION_SUMMARIES = "execution-summaries"
    EXECUTION_STATS = "execution-stats"

    @property
    def is_daily(self) -> bool:
        """Whether documents go to one index per day (logs, metrics, execution summaries)."""
        return self in (IndexKind.LOGS, IndexKind.METRICS, IndexKind.EXECUTION_SUMMARIES)


ALIASED_KINDS = tuple(kind for kind in IndexKind if not kind.is_daily)
"""Kinds stored behind an alias (rebuildable from compacted topics)."""

DAILY_KINDS = tuple(kind for kind in IndexKind if kind.is_daily)
"""Kinds stored in daily indices."""

PURGED_KINDS = (IndexKind.LOGS, IndexKind.METRICS)
"""Daily kinds aged out by ``kestrel indexer purge`` (summaries live as long as executions)."""

MONTHS_FROM = 32
"""Ranges of more days than this name whole months (``covering``): index names stay few."""

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

    def covering(self, kind: IndexKind, start: datetime | None, end: datetime | None) -> str:
        """The daily indices of ``kind`` that can hold documents of ``[start, end)``.

        Searching only them is what keeps a search of the last day fast however many days
        are indexed. Up to ``MONTHS_FROM`` days, one name per day; beyond, one pattern per
        month (``kestrel-x-2026.11.*``); without a start, every index (the pattern). Search
        with ``ignore_unavailable`` (days without documents have no index) and still filter
        on the range: a month pattern holds more days.
        """
        if start is None:
            return self.pattern(kind)
        first = (start.astimezone(UTC) if start.tzinfo else start).date()
        last_moment = end or datetime.now(UTC) + timedelta(days=1)
        last = (last_moment.astimezone(UTC) if last_moment.tzinfo else last_moment).date()
        if last < first:
            return self.daily(kind, first)
        if (last - first).days < MONTHS_FROM:
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
            return ",".join(self.daily(kind, day) for day in days)
        months = []
        year, month = first.year, first.month
        while (year, month) <= (last.year, last.month):
            months.append(f"{self.prefix}{kind}-{year:04d}.{month:02d}.*")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return ",".join(months)

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
