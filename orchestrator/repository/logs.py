"""Search log lines (``kestrel-logs-*``), page by page with ``search_after``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import elasticsearch
from elasticsearch import Elasticsearch

from orchestrator.models.messages import LogEntry
from orchestrator.repository.admin import translated
from orchestrator.repository.documents import log_from_document
from orchestrator.repository.indices import IndexKind, IndexNames
from orchestrator.repository.query import (
    MAX_PAGE_SIZE,
    Query,
    bool_query,
    namespace_filter,
    time_range,
)
from orchestrator.tasks.base import LogLevel

Cursor = tuple[Any, ...]
"""Where the next page starts: the sort values of the last hit of the previous page."""


@dataclass(frozen=True)
class LogFilter:
    """What log lines to find; every field set narrows the search.

    Attributes:
        execution_id: Lines of this execution.
        task_id: Lines of this task.
        task_run_id: Lines of this task run.
        min_level: This level and the more severe ones.
        text: Every word of ``text`` is in the message.
        start: Logged at or after.
        end: Logged before.
        namespace: This namespace and the ones under it.
        flow_id: Lines of executions of this flow id.
        levels: Only these levels (all when empty).
    """

    execution_id: str | None = None
    task_id: str | None = None
    task_run_id: str | None = None
    min_level: LogLevel | None = None
    text: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    namespace: str | None = None
    flow_id: str | None = None
    levels: tuple[LogLevel, ...] = ()


@dataclass(frozen=True)
class LogHit:
    """A log line with the Kafka record it was indexed from (to resume from Kafka)."""

    entry: LogEntry
    partition: int
    offset: int


@dataclass(frozen=True)
class LogPage:
    """One page of log lines and the cursor of the next (None after the last page)."""

    hits: list[LogHit]
    next_cursor: Cursor | None


def levels_from(minimum: LogLevel) -> list[str]:
    """``minimum`` and every more severe level."""
    return [level.value for level in LogLevel if level.rank >= minimum.rank]


def log_query(criteria: LogFilter) -> Query:
    """The Elasticsearch query selecting ``criteria``'s log lines."""
    filters: list[Query | None] = [
        {"term": {"executionId": criteria.execution_id}} if criteria.execution_id else None,
        {"term": {"taskId": criteria.task_id}} if criteria.task_id else None,
        {"term": {"taskRunId": criteria.task_run_id}} if criteria.task_run_id else None,
        {"terms": {"level": levels_from(criteria.min_level)}} if criteria.min_level else None,
        {"match": {"message": {"query": criteria.text, "operator": "and"}}}
        if criteria.text
        else None,
        time_range("@timestamp", criteria.start, criteria.end),
        namespace_filter(criteria.namespace) if criteria.namespace else None,
        {"term": {"flowId": criteria.flow_id}} if criteria.flow_id else None,
        {"terms": {"level": [level.value for level in criteria.levels]}}
        if criteria.levels
        else None,
    ]
    return bool_query(filters)


def log_sort(newest_first: bool = False) -> list[dict[str, Any]]:
    """The sort of log searches: time, then Kafka offset, then id.

    The offset orders lines of one execution logged in the same millisecond; the unique id
    makes the order total, as ``search_after`` needs.
    """
    order = "desc" if newest_first else "asc"
    return [{"@timestamp": order}, {"offset": order}, {"id": order}]


class LogRepository:
    """Log lines as the indexer mirrored them into daily indices."""

    def __init__(self, client: Elasticsearch, names: IndexNames) -> None:
        """Search through ``client`` in the indices named by ``names``."""
        self._client = client
        self._index = names.search_target(IndexKind.LOGS)

    def search(
        self,
        criteria: LogFilter,
        *,
        size: int = 100,
        after: Sequence[Any] | None = None,
        newest_first: bool = False,
    ) -> LogPage:
        """One page of matching lines, oldest first unless ``newest_first``.

        Args:
            criteria: What to find.
            size: Lines per page (at most ``MAX_PAGE_SIZE``).
            after: ``next_cursor`` of the previous page; None for the first page.
            newest_first: Most recent lines first.
        """
        size = max(1, min(size, MAX_PAGE_SIZE))
        with translated(self._client, "searching logs"):
            response = self._client.search(
                index=self._index,
                query=log_query(criteria),
                sort=log_sort(newest_first),
                size=size,
                search_after=list(after) if after is not None else None,
                ignore_unavailable=True,
                allow_no_indices=True,
            ).body
        raw_hits = response.get("hits", {}).get("hits", [])
        hits = [
            LogHit(
                log_from_document(hit["_source"]),
                int(hit["_source"].get("partition", -1)),
                int(hit["_source"].get("offset", -1)),
            )
            for hit in raw_hits
        ]
        cursor = tuple(raw_hits[-1]["sort"]) if len(raw_hits) == size else None
        return LogPage(hits, cursor)

    def iterate(self, criteria: LogFilter, *, page_size: int = 500) -> Iterator[LogHit]:
        """Every matching line, oldest first, fetching a page at a time."""
        cursor: Cursor | None = None
        while True:
            page = self.search(criteria, size=page_size, after=cursor)
            yield from page.hits
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def delete(self, criteria: LogFilter) -> int:
        """Delete the matching lines (the index is refreshed first); return how many.

        Raises:
            SearchUnavailableError: Elasticsearch cannot be reached.
            SearchFailedError: Elasticsearch refused the deletion.
        """
        with translated(self._client, "deleting logs"):
            try:
                self._client.indices.refresh(
                    index=self._index, ignore_unavailable=True, allow_no_indices=True
                )
                response = self._client.delete_by_query(
                    index=self._index,
                    query=log_query(criteria),
                    conflicts="proceed",
                    refresh=True,
                    ignore_unavailable=True,
                    allow_no_indices=True,
                ).body
            except elasticsearch.NotFoundError:
                return 0  # no line was ever indexed
        return int(response.get("deleted", 0))

    def count(self, criteria: LogFilter) -> int:
        """How many lines match."""
        with translated(self._client, "counting logs"):
            response = self._client.count(
                index=self._index,
                query=log_query(criteria),
                ignore_unavailable=True,
                allow_no_indices=True,
            ).body
        return int(response.get("count", 0))
