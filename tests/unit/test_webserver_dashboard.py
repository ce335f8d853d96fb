"""The dashboard's one search: its shape, and how its flow buckets become failing flows."""

from __future__ import annotations

from datetime import UTC, datetime

from orchestrator.webserver.dashboard import DashboardQuery, _request, failing_flows


def buckets(counts: dict[str, int]) -> list[dict[str, object]]:
    return [{"key": key, "doc_count": count} for key, count in counts.items()]


def test_failing_flows_rank_by_failures_then_name_and_leave_out_the_healthy() -> None:
    totals = {"team.a/etl": 10, "team.a/ok": 50, "team.b/load": 4, "team.a/aaa": 3}
    failed = {"team.a/etl": 3, "team.b/load": 4, "team.a/aaa": 3}
    in_range = {
        "flows": {"buckets": buckets(totals)},
        "failed": {"flows": {"buckets": buckets(failed)}},
    }
    assert failing_flows(in_range, 2) == [
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
    assert request["aggs"]["live"]["terms"]["field"] == "state.current"
    failed = request["aggs"]["range"]["aggs"]["failed"]
    assert failed["filter"] == {"terms": {"state.current": ["FAILED"]}}
    assert failed["aggs"]["flows"]["terms"]["field"] == "flowKey"
    assert request["size"] == 50 and request["source_includes"] == ["durationMs"]


def test_a_failing_flow_beyond_the_counted_totals_still_shows_its_failures() -> None:
    in_range = {"flows": {"buckets": []}, "failed": {"flows": {"buckets": buckets({"a/b": 2})}}}
    assert failing_flows(in_range, 5) == [
        {"namespace": "a", "flowId": "b", "failed": 2, "total": 2}
    ]
