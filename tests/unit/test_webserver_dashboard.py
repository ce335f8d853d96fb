"""The dashboard's figures, added up from per-day statistics documents."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from orchestrator.webserver.dashboard import (
    DashboardQuery,
    _request,
    daily_figures,
    failing_flows,
    latest_durations,
)


def stats(day: str, key: str, **states: int) -> dict[str, Any]:
    return {"day": day, "flowKey": key, "total": sum(states.values()), "states": states}


def test_failing_flows_add_up_days_rank_by_failures_then_name_and_leave_out_the_healthy() -> None:
    documents = [
        stats("2026-01-01", "team.a/etl", SUCCESS=5, FAILED=1),
        stats("2026-01-02", "team.a/etl", SUCCESS=2, FAILED=2),
        stats("2026-01-01", "team.a/ok", SUCCESS=50),
        stats("2026-01-01", "team.b/load", FAILED=4),
        stats("2026-01-01", "team.a/aaa", FAILED=3, KILLED=7),
    ]
    assert failing_flows(documents, 3) == [
        {"namespace": "team.b", "flowId": "load", "failed": 4, "total": 4},
        {"namespace": "team.a", "flowId": "aaa", "failed": 3, "total": 10},
        {"namespace": "team.a", "flowId": "etl", "failed": 3, "total": 10},
    ]


def test_every_day_of_the_range_is_listed_with_states_and_durations_in_seconds() -> None:
    first = {**stats("2026-01-01", "a/x", SUCCESS=2), "durationCount": 2, "durationSumMs": 3000}
    first |= {"durationMinMs": 1000, "durationMaxMs": 2000}
    other = {**stats("2026-01-01", "a/y", FAILED=1), "durationCount": 1, "durationSumMs": 5000}
    other |= {"durationMinMs": 5000, "durationMaxMs": 5000}
    days = daily_figures([first, other], date(2025, 12, 31), date(2026, 1, 2))
    assert [day["startDate"] for day in days] == ["2025-12-31", "2026-01-01", "2026-01-02"]
    assert days[0]["executionCounts"]["SUCCESS"] == 0 and days[0]["duration"]["avg"] is None
    assert days[1]["executionCounts"]["SUCCESS"] == 2 and days[1]["executionCounts"]["FAILED"] == 1
    assert days[1]["duration"] == {"avg": 8 / 3, "min": 1.0, "max": 5.0, "sum": 8.0}


def test_the_latest_durations_are_merged_across_days_and_flows_newest_first() -> None:
    documents = [
        {
            "latest": [
                {"at": "2026-01-02T10:00:00Z", "ms": 1},
                {"at": "2026-01-02T08:00:00Z", "ms": 2},
            ]
        },
        {"latest": [{"at": "2026-01-02T09:00:00Z", "ms": 3}]},
        {"latest": []},
    ]
    assert latest_durations(documents, 2) == [1.0, 3.0]
    assert latest_durations(documents, 0) == []


def test_the_search_takes_the_range_s_days_and_every_day_still_live_in_the_scope() -> None:
    start, end = datetime(2026, 1, 1, 12, tzinfo=UTC), datetime(2026, 1, 8, tzinfo=UTC)
    request = _request(DashboardQuery(namespace="team", flow_id="etl"), start, end)
    query = request["query"]["bool"]
    assert query["minimum_should_match"] == 1
    days, *live = query["should"]
    assert days == {"range": {"day": {"gte": "2026-01-01", "lte": "2026-01-08"}}}
    assert {next(iter(clause["range"])) for clause in live} == {"states.RUNNING", "states.QUEUED"}
    assert {"term": {"flowId": "etl"}} in query["filter"] and "team" in str(query["filter"])
