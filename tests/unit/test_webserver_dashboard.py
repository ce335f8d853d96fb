"""The dashboard's one search: its shape, and how its flow buckets become failing flows."""

from __future__ import annotations

from datetime import UTC, datetime

from orchestrator.webserver.dashboard import DashboardQuery, _request, failing_flows


def bucket(key: str, total: int, failed: int) -> dict[str, object]:
    return {"key": key, "doc_count": total, "failed": {"doc_count": failed}}


def test_failing_flows_rank_by_failures_then_name_and_leave_out_the_healthy() -> None:
    buckets = [
        bucket("team.a/etl", 10, 3),
        bucket("team.a/ok", 50, 0),
        bucket("team.b/load", 4, 4),
        bucket("team.a/aaa", 3, 3),
    ]
    assert failing_flows(buckets, 2) == [
        {"namespace": "team.b", "flowId": "load", "failed": 4, "total": 4},
        {"namespace": "team.a", "flowId": "aaa", "failed": 3, "total": 3},
    ]


def test_the_range_narrows_hits_and_aggregations_but_not_the_live_counts() -> None:
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 8, tzinfo=UTC)
    request = _request(DashboardQuery(namespace="team", sample=50), start, end)
    in_range = {"range": {"@timestamp": {"gte": start.isoformat(), "lt": end.isoformat()}}}
    assert request["post_filter"] == request["aggs"]["range"]["filter"]
    assert (
        request["post_filter"]["range"]["@timestamp"].keys()
        == in_range["range"]["@timestamp"].keys()
    )
    assert "range" not in str(request["query"])  # running and queued count over all time
    assert set(request["aggs"]["live"]["filters"]["filters"]) == {"RUNNING", "QUEUED"}
    assert request["size"] == 50 and request["source_includes"] == ["durationMs"]
