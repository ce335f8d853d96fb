"""``/stats/dashboard``: everything the dashboard shows, from the per-day statistics.

The indexer keeps one small document per day and flow (``execution-stats``: counts by
state, durations, the latest durations; see ``orchestrator.repository.summaries``). The
dashboard reads those of the range's days, plus those of any day with executions still
running or queued, and adds them up here: a few hundred documents however many executions
there are (the aggregation of 100,000 execution documents took seconds on the embedded
server, and grows with every execution on a real cluster too).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from pydantic import Field

from orchestrator.models.state import StateType
from orchestrator.repository import Repositories
from orchestrator.repository.query import Query
from orchestrator.repository.summaries import LATEST_KEPT
from orchestrator.webserver.context import context_of
from orchestrator.webserver.daystats import (
    daily_figures,
    days_of_range,
    failing_flows,
    scope,
    search_request,
    statistics,
)
from orchestrator.webserver.models import ApiModel, StatsQuery
from orchestrator.webserver.routes import Registry, parse_query
from orchestrator.webserver.stats import DailyStatistics, FailingFlowView, date_range

api = Registry("Stats")

__all__ = ["Dashboard", "DashboardQuery", "api", "daily_figures", "dashboard", "failing_flows"]


class DashboardQuery(StatsQuery):
    """``GET /stats/dashboard``: the range and scope, how many failing flows and durations."""

    failing: int = Field(default=5, ge=1, le=100, description="How many failing flows")
    sample: int = Field(
        default=LATEST_KEPT,
        ge=0,
        le=LATEST_KEPT,
        description="How many latest executions' durations",
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
    """The search of the statistics documents: the range's days, and any day still live."""
    live: list[Query] = [
        {"range": {f"states.{state.value}": {"gt": 0}}}
        for state in (StateType.RUNNING, StateType.QUEUED)
    ]
    return search_request(scope(query.namespace, query.flow_id), [days_of_range(start, end), *live])


def latest_durations(documents: list[dict[str, Any]], size: int) -> list[float]:
    """The durations of the ``size`` latest ended executions, newest first."""
    latest = [(item["at"], item["ms"]) for document in documents for item in document["latest"]]
    latest.sort(reverse=True)
    return [float(ms) for _, ms in latest[:size]]


def dashboard(repositories: Repositories, query: DashboardQuery) -> dict[str, Any]:
    """The figures of ``query``'s range, from the per-day statistics (blocking).

    Days are whole UTC days: the first and last day of the range count all their executions.
    """
    start, end = date_range(query)
    # Without the latest durations (a hundred per document, most of the bytes read): only
    # the last days hold the newest ones (``_recent``).
    request = {**_request(query, start, end), "source_excludes": ["latest"]}
    documents = statistics(repositories, request)
    first, last = start.date(), end.date()
    in_range = [d for d in documents if first.isoformat() <= str(d["day"])[:10] <= last.isoformat()]
    live = {
        state: sum(int(d.get("states", {}).get(state.value, 0)) for d in documents)
        for state in (StateType.RUNNING, StateType.QUEUED)
    }
    return {
        "daily": daily_figures(in_range, first, last),
        "failingFlows": failing_flows(in_range, query.failing),
        "running": live[StateType.RUNNING],
        "queued": live[StateType.QUEUED],
        "durationsMs": latest_durations(_recent(repositories, query, start, end), query.sample),
    }


def _recent(
    repositories: Repositories, query: DashboardQuery, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """The statistics documents holding the range's ``sample`` latest durations.

    A day's documents keep durations of executions started that day only, so once the last
    days of the range hold ``sample`` of them, no older day holds a newer one: read the last
    day, then the last 4, 16... days, until they hold enough or cover the range.
    """
    if query.sample == 0:
        return []
    span = 1
    while True:
        since = max(start, end - timedelta(days=span - 1))
        request = {
            **search_request(scope(query.namespace, query.flow_id), [days_of_range(since, end)]),
            "source_includes": ["day", "latest"],
        }
        found = statistics(repositories, request)
        if (
            since.date() <= start.date()
            or sum(len(d.get("latest", [])) for d in found) >= query.sample
        ):
            return found
        span *= 4


@api.route(
    "GET",
    "/stats/dashboard",
    summary="The dashboard: executions per day (whole UTC days) by state, failing flows, "
    "running and queued counts, the latest durations",
    query=DashboardQuery,
    response=Dashboard,
)
async def get_dashboard(request: web.Request) -> web.Response:
    """Everything the dashboard page shows for the range (30 days by default)."""
    context = context_of(request)
    query = parse_query(request, DashboardQuery)
    return web.json_response(await context.run(dashboard, context.repositories, query))
