"""``/stats/dashboard``: everything the dashboard shows, from one Elasticsearch search.

The page used to send five requests (executions per day, the latest executions for the
duration percentiles, failing flows, running and queued counts); each one scans the
executions of the range again. Here one search answers it all: the hits are the latest
executions of the range (``post_filter``, so it narrows the hits and not the aggregations),
the days and the flows are aggregated inside a ``filter`` on the range, and the running
and queued counts, over all time, in a ``terms`` on the state.

The aggregations are kept flat (few buckets with sub-aggregations): the embedded server
(noida-db) reads every document of the index once per search and once more per bucket
that has a sub-aggregation, so ``terms`` on 40 flows > ``filter`` FAILED cost 40 passes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import Field

from orchestrator.models.state import StateType
from orchestrator.repository import Repositories
from orchestrator.repository.admin import translated
from orchestrator.repository.indices import IndexKind
from orchestrator.repository.query import Query, bool_query, namespace_filter, time_range
from orchestrator.repository.stats import FAILED_STATES
from orchestrator.webserver.context import context_of
from orchestrator.webserver.models import ApiModel, StatsQuery
from orchestrator.webserver.routes import Registry, parse_query
from orchestrator.webserver.stats import (
    DailyStatistics,
    FailingFlowView,
    daily_aggs,
    date_range,
    days_of,
)

api = Registry("Stats")

FLOWS_COUNTED = 1000
"""Flows whose failures are counted (one shard: ``terms`` counts are exact up to this)."""


class DashboardQuery(StatsQuery):
    """``GET /stats/dashboard``: the range and scope, how many failing flows and durations."""

    failing: int = Field(default=5, ge=1, le=100, description="How many failing flows")
    sample: int = Field(
        default=100, ge=0, le=1000, description="How many latest executions' durations"
    )


class Dashboard(ApiModel):
    """The dashboard's figures for a range."""

    daily: list[DailyStatistics]
    failing_flows: list[FailingFlowView]
    running: int
    queued: int
    durations_ms: list[float] = Field(
        description="Durations of the latest ended executions of the range, newest first"
    )


def _request(query: DashboardQuery, start: datetime, end: datetime) -> dict[str, Any]:
    scope: list[Query | None] = [
        namespace_filter(query.namespace) if query.namespace else None,
        {"term": {"flowId": query.flow_id}} if query.flow_id else None,
        {"bool": {"must_not": [{"term": {"deleted": True}}]}},
    ]
    in_range = time_range("@timestamp", start, end)
    failed = {"terms": {"state.current": [state.value for state in FAILED_STATES]}}
    flows = {"terms": {"field": "flowKey", "size": FLOWS_COUNTED}}
    return {
        "query": bool_query(scope),
        "post_filter": in_range,
        "size": query.sample,
        "sort": [{"@timestamp": {"order": "desc"}}],
        "source_includes": ["durationMs"],
        "track_total_hits": False,
        "aggs": {
            "range": {
                "filter": in_range,
                "aggs": {
                    **daily_aggs(start, end),
                    "flows": flows,
                    "failed": {"filter": failed, "aggs": {"flows": flows}},
                },
            },
            "live": {"terms": {"field": "state.current", "size": len(StateType)}},
        },
    }


def failing_flows(in_range: dict[str, Any], size: int) -> list[dict[str, Any]]:
    """The ``size`` flows with the most failures, from the ``flows`` and ``failed`` buckets.

    Two flat ``terms`` rather than ``terms`` > ``filter``: on the embedded server every bucket's
    sub-aggregation is one more pass over the documents (one per flow).
    """
    totals = {
        str(bucket["key"]): int(bucket["doc_count"])
        for bucket in in_range.get("flows", {}).get("buckets", [])
    }
    flows: list[dict[str, Any]] = []
    for bucket in in_range.get("failed", {}).get("flows", {}).get("buckets", []):
        failed = int(bucket["doc_count"])
        namespace, _, flow_id = str(bucket["key"]).partition("/")
        total = max(totals.get(str(bucket["key"]), failed), failed)
        flows.append({"namespace": namespace, "flowId": flow_id, "failed": failed, "total": total})
    flows.sort(key=lambda f: (-f["failed"], f["namespace"], f["flowId"]))
    return flows[:size]


def dashboard(repositories: Repositories, query: DashboardQuery) -> dict[str, Any]:
    """The figures of ``query``'s range, from one search (blocking)."""
    start, end = date_range(query)
    client = repositories.client
    with translated(client, "aggregating the dashboard"):
        response = client.search(
            index=repositories.names.search_target(IndexKind.EXECUTIONS),
            ignore_unavailable=True,
            **_request(query, start, end),
        ).body
    aggregations = response.get("aggregations", {})
    in_range = aggregations.get("range", {})
    live = {
        str(bucket["key"]): int(bucket["doc_count"])
        for bucket in aggregations.get("live", {}).get("buckets", [])
    }
    hits = response.get("hits", {}).get("hits", [])
    return {
        "daily": days_of(in_range),
        "failingFlows": failing_flows(in_range, query.failing),
        "running": live.get(StateType.RUNNING.value, 0),
        "queued": live.get(StateType.QUEUED.value, 0),
        "durationsMs": [
            float(hit["_source"]["durationMs"])
            for hit in hits
            if hit.get("_source", {}).get("durationMs") is not None
        ],
    }


@api.route(
    "GET",
    "/stats/dashboard",
    summary="The dashboard: executions per day by state, failing flows, running and queued "
    "counts, the latest durations (one search)",
    query=DashboardQuery,
    response=Dashboard,
)
async def get_dashboard(request: web.Request) -> web.Response:
    """Everything the dashboard page shows for the range (30 days by default)."""
    context = context_of(request)
    query = parse_query(request, DashboardQuery)
    return web.json_response(await context.run(dashboard, context.repositories, query))
