"""Reading and adding up the per-day statistics (``execution-stats``) for the stats endpoints.

The indexer keeps one small document per day and flow (counts by state, durations, the
latest durations; see ``orchestrator.repository.summaries``). The dashboard and the
``/stats`` endpoints read those of a range's days and add them up here: a few hundred
documents however many executions there are. Days are whole UTC days: the first and the
last day of a range count all their executions.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from orchestrator.models.state import StateType
from orchestrator.repository import Repositories
from orchestrator.repository.admin import translated
from orchestrator.repository.indices import IndexKind
from orchestrator.repository.query import Query, namespace_filter
from orchestrator.repository.stats import FAILED_STATES

PAGE = 5000
"""Statistics documents read per request (``search_after`` beyond)."""


def scope(namespace: str | None, flow_id: str | None) -> list[Query]:
    """Filters of the statistics documents of a namespace (and those under it) or a flow."""
    clauses: list[Query | None] = [
        namespace_filter(namespace) if namespace else None,
        {"term": {"flowId": flow_id}} if flow_id else None,
    ]
    return [clause for clause in clauses if clause is not None]


def days_of_range(start: datetime, end: datetime) -> Query:
    """The statistics documents of the days from ``start`` to ``end`` (both included)."""
    return {"range": {"day": {"gte": start.date().isoformat(), "lte": end.date().isoformat()}}}


def search_request(filters: list[Query], wanted: list[Query]) -> dict[str, Any]:
    """A search of the documents matching every ``filters`` and one of ``wanted``."""
    return {
        "query": {"bool": {"filter": filters, "should": wanted, "minimum_should_match": 1}},
        "sort": [{"day": {"order": "asc"}}, {"flowKey": {"order": "asc"}}],
        "size": PAGE,
    }


def statistics(repositories: Repositories, request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statistics document ``request`` selects (paged with ``search_after``)."""
    client = repositories.client
    found: list[dict[str, Any]] = []
    after: list[Any] | None = None
    while True:
        with translated(client, "reading the per-day statistics"):
            response = client.search(
                index=repositories.names.alias(IndexKind.EXECUTION_STATS),
                search_after=after,
                ignore_unavailable=True,
                **request,
            ).body
        hits = response.get("hits", {}).get("hits", [])
        found += [hit["_source"] for hit in hits]
        if len(hits) < PAGE:
            return found
        after = list(hits[-1]["sort"])


def in_range(
    repositories: Repositories,
    start: datetime,
    end: datetime,
    namespace: str | None = None,
    flow_id: str | None = None,
) -> list[dict[str, Any]]:
    """The statistics documents of the range's days, for a namespace or flow when given.

    Without their latest durations: a hundred per document, most of the bytes, and only the
    dashboard's sample needs them.
    """
    request = search_request(scope(namespace, flow_id), [days_of_range(start, end)])
    return statistics(repositories, {**request, "source_excludes": ["latest"]})


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


def grouped_daily(
    documents: list[dict[str, Any]], start: date, end: date, by_flow: bool
) -> dict[str, Any]:
    """``{namespace: [day...]}``, or ``{namespace: {flowId: [day...]}}`` with ``by_flow``."""
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for document in documents:
        flows = groups.setdefault(str(document["namespace"]), {})
        flows.setdefault(str(document["flowId"]) if by_flow else "", []).append(document)
    if by_flow:
        return {
            namespace: {flow: daily_figures(docs, start, end) for flow, docs in flows.items()}
            for namespace, flows in groups.items()
        }
    return {namespace: daily_figures(flows[""], start, end) for namespace, flows in groups.items()}
