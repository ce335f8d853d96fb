"""Dashboard aggregations over executions: per state over time, durations, failing flows.

Every aggregation is one a real Elasticsearch runs (``date_histogram``, ``terms``,
``percentiles``, ``stats``). The embedded server of development installs has no
``percentiles``; there, and only there, the percentiles are computed here from the durations
themselves (exact, and capped at ``FALLBACK_LIMIT`` executions).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import elasticsearch
from elasticsearch import Elasticsearch

from orchestrator.models.state import StateType
from orchestrator.repository.admin import api_reason, translated
from orchestrator.repository.indices import IndexKind, IndexNames
from orchestrator.repository.query import Query, bool_query, namespace_filter, time_range

# KILLED is not a failure of the flow: someone (or a parent) stopped it on purpose.
FAILED_STATES = (StateType.FAILED,)
"""States counted as failures of a flow (FAILED only)."""

FALLBACK_LIMIT = 100_000
"""Most executions read to compute percentiles without a ``percentiles`` aggregation."""

_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


@dataclass(frozen=True)
class StateBucket:
    """Executions started in one interval, counted by current state."""

    start: datetime
    counts: dict[StateType, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Executions started in the interval."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class FlowDurations:
    """Durations of one flow's ended executions, in milliseconds."""

    namespace: str
    flow_id: str
    count: int
    average: float | None
    percentiles: dict[float, float | None]


@dataclass(frozen=True)
class FailingFlow:
    """A flow with failed (or killed) executions, and how many it ran in all."""

    namespace: str
    flow_id: str
    failed: int
    total: int

    @property
    def failure_rate(self) -> float:
        """Failed executions per execution started."""
        return self.failed / self.total if self.total else 0.0


def fixed_interval(interval: timedelta) -> str:
    """Write ``interval`` as a ``fixed_interval`` (``1h``, ``30m``) in its largest exact unit.

    Raises:
        ValueError: Shorter than a second.
    """
    seconds = int(interval.total_seconds())
    if seconds < 1:
        raise ValueError("an interval is at least one second")
    for unit, size in _UNITS:
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def auto_interval(span: timedelta) -> timedelta:
    """A bucket size giving a readable number of rows (at most 31) for ``span``."""
    for candidate in (
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=1),
        timedelta(days=1),
        timedelta(days=7),
    ):
        if span / candidate <= 31:
            return candidate
    return timedelta(days=30)


def nearest_rank(values: Sequence[float], percent: float) -> float | None:
    """The ``percent`` percentile of sorted ``values`` by the nearest-rank method."""
    if not values:
        return None
    rank = max(1, math.ceil(percent / 100 * len(values)))
    return float(values[min(rank, len(values)) - 1])


def _split(flow_key: str) -> tuple[str, str]:
    namespace, _, flow_id = flow_key.partition("/")
    return namespace, flow_id


class StatsRepository:
    """Aggregations behind ``kestrel stats`` and the dashboards."""

    def __init__(self, client: Elasticsearch, names: IndexNames) -> None:
        """Aggregate through ``client`` over the executions named by ``names``."""
        self._client = client
        self._names = names

    def _days(self, start: datetime, end: datetime | None) -> str:
        return self._names.covering(IndexKind.EXECUTION_SUMMARIES, start, end)

    def _base(self, start: datetime, end: datetime | None, namespace: str | None) -> list[Query]:
        clauses = [
            time_range("@timestamp", start, end),
            namespace_filter(namespace) if namespace else None,
            {"bool": {"must_not": [{"term": {"deleted": True}}]}},
        ]
        return [clause for clause in clauses if clause is not None]

    def _aggregate(
        self, what: str, index: str, query: Query, aggs: dict[str, Any]
    ) -> dict[str, Any]:
        with translated(self._client, what):
            response = self._client.search(
                index=index, query=query, aggs=aggs, size=0, ignore_unavailable=True
            ).body
        aggregations: dict[str, Any] = response.get("aggregations", {})
        return aggregations

    def executions_per_state(
        self,
        start: datetime,
        end: datetime | None = None,
        interval: timedelta | None = None,
        namespace: str | None = None,
    ) -> list[StateBucket]:
        """Executions started per interval, by current state (empty intervals included)."""
        end_at = end or datetime.now(UTC)
        step = interval or auto_interval(end_at - start)
        histogram = {
            "field": "@timestamp",
            "fixed_interval": fixed_interval(step),
            "min_doc_count": 0,
            "extended_bounds": {"min": _millis(start), "max": _millis(end_at) - 1},
        }
        aggs = {
            "over_time": {
                "date_histogram": histogram,
                "aggs": {"states": {"terms": {"field": "state.current", "size": len(StateType)}}},
            }
        }
        query = bool_query(self._base(start, end_at, namespace))
        index = self._days(start, end_at)
        result = self._aggregate("aggregating executions per state", index, query, aggs)
        return [
            StateBucket(
                datetime.fromtimestamp(bucket["key"] / 1000, UTC),
                {StateType(b["key"]): int(b["doc_count"]) for b in bucket["states"]["buckets"]},
            )
            for bucket in result.get("over_time", {}).get("buckets", [])
        ]

    def duration_percentiles(
        self,
        start: datetime,
        end: datetime | None = None,
        *,
        percents: Sequence[float] = (50, 95, 99),
        size: int = 10,
        namespace: str | None = None,
    ) -> list[FlowDurations]:
        """Duration percentiles of the ``size`` flows with the most ended executions."""
        filters = [*self._base(start, end, namespace), {"exists": {"field": "durationMs"}}]
        query = bool_query(filters)
        sub: dict[str, Any] = {
            "stats": {"stats": {"field": "durationMs"}},
            "percentiles": {"percentiles": {"field": "durationMs", "percents": list(percents)}},
        }
        aggs = {"flows": {"terms": {"field": "flowKey", "size": size}, "aggs": sub}}
        response: dict[str, Any] | None = None
        with translated(self._client, "aggregating durations"):
            try:
                response = self._client.search(
                    index=self._days(start, end),
                    query=query,
                    aggs=aggs,
                    size=0,
                    ignore_unavailable=True,
                ).body
            except elasticsearch.BadRequestError as exc:
                if "percentiles" not in api_reason(exc):
                    raise
        if response is None:  # the embedded server: no percentiles aggregation
            return self._percentiles_by_hand(self._days(start, end), query, percents, size)
        return [
            FlowDurations(
                *_split(bucket["key"]),
                count=int(bucket["doc_count"]),
                average=bucket["stats"].get("avg"),
                percentiles={
                    float(key): value
                    for key, value in bucket["percentiles"].get("values", {}).items()
                },
            )
            for bucket in response.get("aggregations", {}).get("flows", {}).get("buckets", [])
        ]

    def _percentiles_by_hand(
        self, index: str, query: Query, percents: Sequence[float], size: int
    ) -> list[FlowDurations]:
        aggs = {"flows": {"terms": {"field": "flowKey", "size": size}}}
        buckets = self._aggregate("aggregating durations", index, query, aggs)["flows"]["buckets"]
        keys = [bucket["key"] for bucket in buckets]
        durations: dict[str, list[float]] = defaultdict(list)
        narrowed = {"bool": {"filter": [query, {"terms": {"flowKey": keys}}]}}
        after: list[Any] | None = None
        read = 0
        while keys and read < FALLBACK_LIMIT:
            with translated(self._client, "reading durations"):
                response = self._client.search(
                    index=index,
                    query=narrowed,
                    sort=[{"id": "asc"}],
                    size=5000,
                    search_after=after,
                    source_includes=["flowKey", "durationMs"],
                    ignore_unavailable=True,
                ).body
            hits = response["hits"]["hits"]
            for hit in hits:
                durations[hit["_source"]["flowKey"]].append(float(hit["_source"]["durationMs"]))
            read += len(hits)
            if len(hits) < 5000:
                break
            after = hits[-1]["sort"]
        result = []
        for key in keys:
            values = sorted(durations[key])
            result.append(
                FlowDurations(
                    *_split(key),
                    count=len(values),
                    average=sum(values) / len(values) if values else None,
                    percentiles={float(p): nearest_rank(values, p) for p in percents},
                )
            )
        return result

    def top_failing_flows(
        self,
        start: datetime,
        end: datetime | None = None,
        *,
        size: int = 10,
        namespace: str | None = None,
    ) -> list[FailingFlow]:
        """The flows with the most FAILED executions (KILLED ones are not failures), with totals.

        Two exact ``terms`` requests (failures, then totals of those flows) rather than one
        ``terms`` ordered by a sub-aggregation, whose counts Elasticsearch only estimates.
        """
        base = self._base(start, end, namespace)
        index = self._days(start, end)
        failed_query = bool_query(
            [*base, {"terms": {"state.current": [s.value for s in FAILED_STATES]}}]
        )
        aggs = {"flows": {"terms": {"field": "flowKey", "size": size}}}
        # No index yet (nothing indexed): no aggregations in the answer.
        failed = {
            bucket["key"]: int(bucket["doc_count"])
            for bucket in self._aggregate("counting failures", index, failed_query, aggs)
            .get("flows", {})
            .get("buckets", [])
        }
        if not failed:
            return []
        totals_query = bool_query([*base, {"terms": {"flowKey": list(failed)}}])
        totals_aggs = {"flows": {"terms": {"field": "flowKey", "size": len(failed)}}}
        totals = {
            bucket["key"]: int(bucket["doc_count"])
            for bucket in self._aggregate("counting executions", index, totals_query, totals_aggs)
            .get("flows", {})
            .get("buckets", [])
        }
        flows = [
            FailingFlow(*_split(key), failed=count, total=max(totals.get(key, count), count))
            for key, count in failed.items()
        ]
        return sorted(flows, key=lambda flow: (-flow.failed, flow.namespace, flow.flow_id))


def _millis(value: datetime) -> int:
    return int(value.timestamp() * 1000)
