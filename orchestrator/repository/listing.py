"""One page of the executions list, reading the last days of its range first.

A search of summaries costs what the days it names hold. The list's usual question, the
newest executions of all time, needs only the last days: summaries live in the index of
the day they started, so when the last day (then week, then month) already holds the rows
of the page (or, by the per-day statistics, every matching execution), the older days
cannot hold any of them. The total comes from the statistics when the filters are ones
they keep (namespace, flow, states), else from a count of every summary. A range (the UI's
last 7 days) is read the same way, its last day first, and its total counted over its days:
on the embedded server a count costs a quarter of the sorted search of the whole range.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch

from orchestrator.repository.executions import ExecutionFilter, execution_query, parse_sort
from orchestrator.repository.indices import IndexKind, IndexNames
from orchestrator.repository.query import Query, namespace_filter, total_hits

WINDOWS = (timedelta(days=1), timedelta(days=7), timedelta(days=31))
"""The last days tried, in turn, before the whole history."""


def _newest_first(sort: str) -> bool:
    key, _, direction = sort.partition(":")
    return key == "start" and direction in ("", "desc")


def _open(criteria: ExecutionFilter) -> bool:
    return criteria.start is None and criteria.end is None


def _counted_by_day_stats(criteria: ExecutionFilter) -> bool:
    return not (criteria.labels or criteria.text or criteria.include_deleted)


def stats_total(client: Elasticsearch, names: IndexNames, criteria: ExecutionFilter) -> int:
    """How many executions match ``criteria`` (namespace, flow, states only), all time."""
    scope: list[Query] = []
    if criteria.namespace:
        scope.append(namespace_filter(criteria.namespace))
    if criteria.flow_id:
        scope.append({"term": {"flowId": criteria.flow_id}})
    fields = [f"states.{state.value}" for state in criteria.states] or ["total"]
    response = client.search(
        index=names.alias(IndexKind.EXECUTION_STATS),
        query={"bool": {"filter": scope}},
        aggs={field: {"stats": {"field": field}} for field in fields},
        size=0,
        ignore_unavailable=True,
    ).body
    aggregations = response.get("aggregations", {})
    return sum(int(aggregations.get(field, {}).get("sum") or 0) for field in fields)


def _total(
    client: Elasticsearch, names: IndexNames, criteria: ExecutionFilter, query: Query
) -> int:
    """The number of matches over all time: from the statistics when they keep the filters."""
    if _counted_by_day_stats(criteria):
        return stats_total(client, names, criteria)
    kind = IndexKind.EXECUTION_SUMMARIES
    counted = client.count(index=names.pattern(kind), query=query, ignore_unavailable=True).body
    return int(counted.get("count", 0))


def search_page(
    client: Elasticsearch,
    names: IndexNames,
    criteria: ExecutionFilter,
    *,
    sort: str,
    start: int,
    size: int,
    **options: Any,
) -> tuple[list[dict[str, Any]], int]:
    """The hits of one page of summaries and the total (``options`` go to the search).

    Raises:
        InvalidQueryError: A bad sort.
        elasticsearch.ApiError, TransportError: As the client raises them (callers translate).
    """
    query = execution_query(criteria)
    order = parse_sort(sort)
    kind = IndexKind.EXECUTION_SUMMARIES

    def page_of(index: str) -> tuple[list[dict[str, Any]], int]:
        response = client.search(
            index=index,
            query=query,
            sort=order,
            from_=start,
            size=size,
            track_total_hits=True,
            ignore_unavailable=True,
            **options,
        ).body
        return response.get("hits", {}).get("hits", []), total_hits(response)

    if _newest_first(sort):
        anchor = criteria.end or datetime.now(UTC)
        last_day = anchor.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        for window in WINDOWS:
            since = last_day - window
            if criteria.start is not None and since <= criteria.start:
                break  # the window would be the whole range
            hits, within = page_of(names.covering(kind, since, criteria.end))
            # Only a full page proves the older days hold none of its rows: the statistics
            # lag the summaries by a flush, so a window holding their count may miss some.
            if within >= start + size:
                if _open(criteria):
                    return hits, max(_total(client, names, criteria, query), within)
                # A range: its total is a count of its days (cheaper than the sorted search).
                return hits, max(_count(client, names, criteria, query), within)
    return page_of(names.covering(kind, criteria.start, criteria.end))


def _count(
    client: Elasticsearch, names: IndexNames, criteria: ExecutionFilter, query: Query
) -> int:
    index = names.covering(IndexKind.EXECUTION_SUMMARIES, criteria.start, criteria.end)
    counted = client.count(index=index, query=query, ignore_unavailable=True).body
    return int(counted.get("count", 0))
