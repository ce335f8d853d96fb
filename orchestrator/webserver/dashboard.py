"""``/stats/dashboard``: everything the dashboard shows, from the per-day statistics.

The indexer keeps one small document per day and flow (``execution-stats``: counts by
state, durations, the latest durations; see ``orchestrator.repository.summaries``). The
dashboard reads those of the range's days, plus those of any day with executions still
running or queued, and adds them up here: a few hundred documents however many executions
there are (the aggregation of 100,000 execution documents took seconds on the embedded
server, and grows with every execution on a real cluster too).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web
from pydantic import Field

from orchestrator.models.state import StateType
from orchestrator.repository import Repositories
from orchestrator.repository.admin import translated
from orchestrator.repository.indices import IndexKind
from orchestrator.repository.query import Query, namespace_filter
from orchestrator.repository.stats import FAILED_STATES
from orchestrator.repository.summaries import LATEST_KEPT
from orchestrator.webserver.context import context_of
from orchestrator.webserver.models import ApiModel, StatsQuery
from orchestrator.webserver.routes import Registry, parse_query
from orchestrator.webserver.stats import DailyStatistics, FailingFlowView, date_range

api = Registry("Stats")

_PAGE = 5000


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


def _scope(query: DashboardQuery) -> list[Query]:
    clauses: list[Query | None] = [
        namespace_filter(query.namespace) if query.namespace else None,
        {"term": {"flowId": query.flow_id}} if query.flow_id else None,
    ]
    return [clause for clause in clauses if clause is not None]


def _request(query: DashboardQuery, start: datetime, end: datetime) -> dict[str, Any]:
    """The search of the statistics documents: the range's days, and any day still live."""
    days = {"range": {"day": {"gte": start.date().isoformat(), "lte": end.date().isoformat()}}}
    live = [
        {"range": {f"states.{state.value}": {"gt": 0}}}
        for state in (StateType.RUNNING, StateType.QUEUED)
    ]
    return {
        "query": {
            "bool": {
                "filter": _scope(query),
                "should": [days, *live],
                "minimum_should_match": 1,
            }
        },
        "sort": [{"day": {"order": "asc"}}, {"flowKey": {"order": "asc"}}],
        "size": _PAGE,
    }


def _statistics(repositories: Repositories, request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statistics document ``request`` selects (paged with ``search_after``)."""
    client = repositories.client
    found: list[dict[str, Any]] = []
    after: list[Any] | None = None
    while True:
        with translated(client, "reading the dashboard's statistics"):
            response = client.search(
                index=repositories.names.alias(IndexKind.EXECUTION_STATS),
                search_after=after,
                ignore_unavailable=True,
                **request,
            ).body
        hits = response.get("hits", {}).get("hits", [])
        found += [hit["_source"] for hit in hits]
        if len(hits) < _PAGE:
            return found
        after = list(hits[-1]["sort"])


def failing_flows(documents: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """The ``size`` flows with the most FAILED executions (KILLED is not a failure)."""
    failed: dict[str, int] = {}
    totals: dict[str, int] = {}
    for document in documents:
        key = str(document["flowKey"])
        totals[key] = totals.get(key, 0) + int(document.get("total", 0))
        count = sum(int(document.get("states", {}).get(s.value, 0)) for s in FAILED_STATES)
        if count:
            failed[key] = failed.get(key, 0) + count
    ranked = sorted(failed.items(), key=lambda item: (-item[1], item[0].partition("/")))
    flows: list[dict[str, Any]] = []
    for key, count in ranked[:size]:
        namespace, _, flow_id = key.partition("/")
        flows.append(
            {"namespace": namespace, "flowId": flow_id, "failed": count, "total": totals[key]}
        )
    return flows


def daily_figures(documents: list[dict[str, Any]], start: date, end: date) -> list[dict[str, Any]]:
    """Every day from ``start`` to ``end`` (included): executions by state, durations (s)."""
    per_day: dict[str, list[dict[str, Any]]] = {}
    for document in documents:
        per_day.setdefault(str(document["day"])[:10], []).append(document)
    days = []
    for offset in range((end - start).days + 1):
        day = (start + timedelta(days=offset)).isoformat()
        counts = {state.value: 0 for state in StateType}
        count = total_ms = 0
        lows: list[int] = []
        highs: list[int] = []
        for document in per_day.get(day, []):
            for state, n in document.get("states", {}).items():
                counts[state] = counts.get(state, 0) + int(n)
            count += int(document.get("durationCount", 0))
            total_ms += int(document.get("durationSumMs", 0))
            if document.get("durationMinMs") is not None:
                lows.append(int(document["durationMinMs"]))
                highs.append(int(document["durationMaxMs"]))
        duration = {
            "avg": total_ms / count / 1000 if count else None,
            "min": min(lows) / 1000 if lows else None,
            "max": max(highs) / 1000 if highs else None,
            "sum": total_ms / 1000 if count else None,
        }
        days.append({"startDate": day, "executionCounts": counts, "duration": duration})
    return days


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
    documents = _statistics(repositories, _request(query, start, end))
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
        "durationsMs": latest_durations(in_range, query.sample),
    }


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
