"""``/stats``: a summary, and executions per day by state (all, per flow, per namespace)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from pydantic import Field

from orchestrator.models.state import StateType
from orchestrator.repository import Repositories
from orchestrator.repository.admin import translated
from orchestrator.repository.indices import IndexKind
from orchestrator.repository.query import Query, bool_query, namespace_filter, time_range
from orchestrator.webserver.context import context_of
from orchestrator.webserver.errors import bad_request
from orchestrator.webserver.models import ApiModel, StatsQuery
from orchestrator.webserver.routes import Registry, parse_query

api = Registry("Stats")
_MAX_DAYS = 366


class DailyStatistics(ApiModel):
    """Executions started on one day, by state (Kestra's ``DailyExecutionStatistics``)."""

    start_date: str
    execution_counts: dict[str, int]
    duration: dict[str, float | None]


class FailingFlowsQuery(StatsQuery):
    """``GET /stats/executions/failing-flows``: the range, the scope and how many flows."""

    size: int = Field(default=10, ge=1, le=100)


class FailingFlowView(ApiModel):
    """A flow with FAILED executions in the range, and how many it started in all."""

    namespace: str
    flow_id: str
    failed: int
    total: int


class Summary(ApiModel):
    """Counts of flows, triggers, namespaces and executions."""

    flows: int
    triggers: int
    namespaces: int
    executions: int


def date_range(query: StatsQuery) -> tuple[datetime, datetime]:
    """The query's range, the last 30 days by default, in UTC.

    Raises:
        ApiError: 400 for a reversed range, or one longer than a year.
    """
    end = query.end_date or datetime.now(UTC)
    start = query.start_date or end - timedelta(days=30)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    if start >= end:
        raise bad_request("startDate must be before endDate")
    if end - start > timedelta(days=_MAX_DAYS):
        raise bad_request(f"the range may span at most {_MAX_DAYS} days")
    return start, end


def daily_aggs(start: datetime, end: datetime) -> dict[str, Any]:
    """Executions per day of the range, by state, with their durations.

    The states hold the days (``terms`` > ``date_histogram``), not the other way round:
    each bucket's sub-aggregation costs the embedded server (noida-db) one more pass over
    the documents, and there are fewer states in a range than days (a 30-day dashboard
    answered 3x faster, measured with bench/ui_queries.py). Real Elasticsearch gives the
    same figures either way.
    """
    histogram = {
        "field": "@timestamp",
        "calendar_interval": "1d",
        "min_doc_count": 0,
        "extended_bounds": {"min": start.strftime("%Y-%m-%d"), "max": end.strftime("%Y-%m-%d")},
        "format": "yyyy-MM-dd",
    }
    return {
        "days": {
            "date_histogram": histogram,
            "aggs": {"duration": {"stats": {"field": "durationMs"}}},
        },
        "states": {
            "terms": {"field": "state.current", "size": len(StateType)},
            "aggs": {"days": {"date_histogram": {**histogram, "min_doc_count": 1}}},
        },
    }


def days_of(aggregation: dict[str, Any]) -> list[dict[str, Any]]:
    """The days of a `daily_aggs` answer, as Kestra's daily statistics."""
    counts_of: dict[str, dict[str, int]] = {}
    for state in aggregation.get("states", {}).get("buckets", []):
        for day in state.get("days", {}).get("buckets", []):
            day_counts = counts_of.setdefault(str(day["key_as_string"]), {})
            day_counts[str(state["key"])] = int(day["doc_count"])
    days = []
    for bucket in aggregation.get("days", {}).get("buckets", []):
        counts = {state.value: 0 for state in StateType}
        counts.update(counts_of.get(str(bucket["key_as_string"]), {}))
        stats = bucket.get("duration", {})
        days.append(
            {
                "startDate": bucket["key_as_string"],
                "executionCounts": counts,
                "duration": {
                    key: (stats.get(key) / 1000 if stats.get(key) is not None else None)
                    for key in ("avg", "min", "max", "sum")
                },
            }
        )
    return days


def daily(
    repositories: Repositories,
    query: StatsQuery,
    group_by: str | None = None,
) -> Any:
    """Daily statistics; grouped by ``namespace`` or by ``flow`` when asked."""
    start, end = date_range(query)
    filters: list[Query | None] = [
        time_range("@timestamp", start, end),
        namespace_filter(query.namespace) if query.namespace else None,
        {"term": {"flowId": query.flow_id}} if query.flow_id else None,
        {"bool": {"must_not": [{"term": {"deleted": True}}]}},
    ]
    aggs = daily_aggs(start, end)
    if group_by == "namespace":
        aggs = {"groups": {"terms": {"field": "namespace", "size": 1000}, "aggs": aggs}}
    elif group_by == "flow":
        aggs = {
            "groups": {
                "terms": {"field": "namespace", "size": 1000},
                "aggs": {"flows": {"terms": {"field": "flowId", "size": 1000}, "aggs": aggs}},
            }
        }
    client = repositories.client
    with translated(client, "aggregating executions"):
        response = client.search(
            index=repositories.names.covering(IndexKind.EXECUTION_SUMMARIES, start, end),
            query=bool_query(filters),
            aggs=aggs,
            size=0,
            ignore_unavailable=True,
        ).body
    result = response.get("aggregations", {})
    if group_by is None:
        return days_of(result)
    groups = result.get("groups", {}).get("buckets", [])
    if group_by == "namespace":
        return {str(group["key"]): days_of(group) for group in groups}
    return {
        str(group["key"]): {str(flow["key"]): days_of(flow) for flow in group["flows"]["buckets"]}
        for group in groups
    }


@api.route(
    "POST",
    "/stats/executions/daily",
    summary="Executions per day by state",
    query=StatsQuery,
    response=list[DailyStatistics],
)
async def executions_daily(request: web.Request) -> web.Response:
    """Per day of the range (30 days by default): executions by state and durations."""
    context = context_of(request)
    query = parse_query(request, StatsQuery)
    return web.json_response(await context.run(daily, context.repositories, query))


@api.route(
    "POST",
    "/stats/executions/daily/group-by-flow",
    summary="Executions per day by state, per flow",
    query=StatsQuery,
    response=dict[str, dict[str, list[DailyStatistics]]],
)
async def executions_daily_by_flow(request: web.Request) -> web.Response:
    """``{namespace: {flowId: [day...]}}``."""
    context = context_of(request)
    query = parse_query(request, StatsQuery)
    return web.json_response(await context.run(daily, context.repositories, query, "flow"))


@api.route(
    "POST",
    "/stats/executions/daily/group-by-namespace",
    summary="Executions per day by state, per namespace",
    query=StatsQuery,
    response=dict[str, list[DailyStatistics]],
)
async def executions_daily_by_namespace(request: web.Request) -> web.Response:
    """``{namespace: [day...]}``."""
    context = context_of(request)
    query = parse_query(request, StatsQuery)
    return web.json_response(await context.run(daily, context.repositories, query, "namespace"))


@api.route(
    "GET",
    "/stats/executions/failing-flows",
    summary="The flows with the most FAILED executions in the range, with their totals",
    query=FailingFlowsQuery,
    response=list[FailingFlowView],
)
async def failing_flows(request: web.Request) -> web.Response:
    """Two flat ``terms`` aggregations, for the dashboard (lighter than the per-flow days)."""
    context = context_of(request)
    query = parse_query(request, FailingFlowsQuery)
    start, end = date_range(query)
    flows = await context.run(
        context.repositories.stats.top_failing_flows,
        start,
        end,
        size=query.size,
        namespace=query.namespace,
    )
    return web.json_response(
        [
            {"namespace": f.namespace, "flowId": f.flow_id, "failed": f.failed, "total": f.total}
            for f in flows
        ]
    )


@api.route(
    "GET", "/stats/summary", summary="Counts of flows, triggers and executions", response=Summary
)
async def summary(request: web.Request) -> web.Response:
    """How many flows, triggers, namespaces and executions there are."""
    context = context_of(request)
    live = [record for record in context.flows.records().values() if not record.deleted]
    executions = await context.run(context.repositories.executions.count)
    triggers = sum(len(record.flow.get("triggers") or []) for record in live)
    return web.json_response(
        {
            "flows": len(live),
            "triggers": triggers,
            "namespaces": len({record.namespace for record in live}),
            "executions": executions,
        }
    )
