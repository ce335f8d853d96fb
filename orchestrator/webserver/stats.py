"""``/stats``: a summary, executions per day by state, failing flows, from day statistics.

Executions per day (all, per flow, per namespace), the failing flows and the summary's
count are added up from the per-day statistics (``orchestrator.webserver.daystats``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from pydantic import Field

from orchestrator.repository import ExecutionFilter, Repositories
from orchestrator.repository.admin import translated
from orchestrator.repository.listing import stats_total
from orchestrator.webserver.context import context_of
from orchestrator.webserver.daystats import daily_figures, grouped_daily, in_range
from orchestrator.webserver.daystats import failing_flows as failing_flows_of
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


def daily(
    repositories: Repositories,
    query: StatsQuery,
    group_by: str | None = None,
) -> Any:
    """Daily statistics (whole UTC days); grouped by ``namespace`` or by ``flow`` when asked.

    Added up from the per-day statistics of the range's days (``daystats``), not aggregated
    from every execution's summary: a few hundred documents however many executions.
    """
    start, end = date_range(query)
    documents = in_range(repositories, start, end, query.namespace, query.flow_id)
    first, last = start.date(), end.date()
    if group_by is None:
        return daily_figures(documents, first, last)
    return grouped_daily(documents, first, last, by_flow=group_by == "flow")


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
    """Added up from the per-day statistics of the range's days (whole UTC days)."""
    context = context_of(request)
    query = parse_query(request, FailingFlowsQuery)
    start, end = date_range(query)
    documents = await context.run(
        in_range, context.repositories, start, end, query.namespace, query.flow_id
    )
    return web.json_response(failing_flows_of(documents, query.size))


@api.route(
    "GET", "/stats/summary", summary="Counts of flows, triggers and executions", response=Summary
)
async def summary(request: web.Request) -> web.Response:
    """How many flows, triggers, namespaces and executions there are."""
    context = context_of(request)
    live = [record for record in context.flows.records().values() if not record.deleted]
    executions = await context.run(_executions, context.repositories)
    triggers = sum(len(record.flow.get("triggers") or []) for record in live)
    return web.json_response(
        {
            "flows": len(live),
            "triggers": triggers,
            "namespaces": len({record.namespace for record in live}),
            "executions": executions,
        }
    )


def _executions(repositories: Repositories) -> int:
    """How many executions there are, from the per-day statistics (not a count of each)."""
    client = repositories.client
    with translated(client, "counting executions"):
        return stats_total(client, repositories.names, ExecutionFilter())
