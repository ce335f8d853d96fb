"""Small query-building helpers and result types shared by the repositories."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from orchestrator.repository.documents import iso
from orchestrator.repository.errors import InvalidQueryError

ItemT = TypeVar("ItemT")

Query = dict[str, Any]
"""An Elasticsearch query clause."""

MAX_PAGE_SIZE = 1000
"""Largest page a repository returns at once (Elasticsearch's own limit is 10,000 hits)."""


@dataclass(frozen=True)
class Page(Generic[ItemT]):
    """One page of results.

    Attributes:
        items: The results of this page.
        total: How many results match in all (exact up to 10,000, then a lower bound).
        page: Page number, from 1.
        size: Page size asked for.
    """

    items: list[ItemT]
    total: int
    page: int
    size: int

    @property
    def has_more(self) -> bool:
        """Whether a later page holds more results."""
        return self.page * self.size < self.total


def time_range(field: str, start: datetime | None, end: datetime | None) -> Query | None:
    """A ``range`` filter ``start <= field < end`` (None when both are open)."""
    bounds = {}
    if start is not None:
        bounds["gte"] = iso(start)
    if end is not None:
        bounds["lt"] = iso(end)
    return {"range": {field: bounds}} if bounds else None


def namespace_filter(namespace: str) -> Query:
    """The namespace itself and every namespace under it (``company`` matches ``company.team``).

    A plain prefix would also match ``companyx``; Kestra's namespaces nest on dots.
    """
    return {
        "bool": {
            "should": [
                {"term": {"namespace": namespace}},
                {"prefix": {"namespace": namespace.rstrip(".") + "."}},
            ],
            "minimum_should_match": 1,
        }
    }


def labels_filter(labels: Iterable[tuple[str, str]]) -> list[Query]:
    """One ``nested`` filter per label: the execution must have every ``key=value`` pair."""
    return [
        {
            "nested": {
                "path": "labels",
                "query": {
                    "bool": {
                        "filter": [
                            {"term": {"labels.key": key}},
                            {"term": {"labels.value": value}},
                        ]
                    }
                },
            }
        }
        for key, value in labels
    ]


def escape_wildcard(text: str) -> str:
    """Escape the wildcard characters (star, question mark, backslash) in ``text``."""
    return "".join("\\" + char if char in "*?\\" else char for char in text)


def contains(field: str, text: str) -> Query:
    """Case-insensitive 'field contains text' on a keyword field."""
    pattern = f"*{escape_wildcard(text)}*"
    return {"wildcard": {field: {"value": pattern, "case_insensitive": True}}}


def bool_query(filters: Iterable[Query | None]) -> Query:
    """A ``bool`` query with the given filters (``match_all`` when there are none)."""
    chosen = [clause for clause in filters if clause is not None]
    return {"bool": {"filter": chosen}} if chosen else {"match_all": {}}


def total_hits(response: Mapping[str, Any]) -> int:
    """The hit count of a search response (both the object and the legacy integer form)."""
    total = response.get("hits", {}).get("total", 0)
    return int(total.get("value", 0) if isinstance(total, dict) else total)


def sources(response: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``_source`` of each hit."""
    return [hit.get("_source", {}) for hit in response.get("hits", {}).get("hits", [])]


def check_page(page: int, size: int) -> tuple[int, int]:
    """Validate a page request; return ``(from, size)``.

    Raises:
        InvalidQueryError: ``page`` below 1, ``size`` outside 1..MAX_PAGE_SIZE, or past
            10,000 hits.
    """
    if page < 1:
        raise InvalidQueryError(f"page must be at least 1, not {page}")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidQueryError(f"page size must be between 1 and {MAX_PAGE_SIZE}, not {size}")
    start = (page - 1) * size
    if start + size > 10_000:
        raise InvalidQueryError("pages end at 10,000 results; narrow the search instead")
    return start, size
