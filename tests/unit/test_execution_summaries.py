"""Execution summaries: their documents, their daily indices, and the per-day statistics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from orchestrator.repository.indices import IndexKind, IndexNames
from orchestrator.repository.summaries import LATEST_KEPT, day_statistics, summary_document

NAMES = IndexNames("k-")
KIND = IndexKind.EXECUTION_SUMMARIES


def test_a_range_of_a_few_days_names_those_days_only() -> None:
    start = datetime(2026, 11, 29, 22, tzinfo=UTC)
    assert NAMES.covering(KIND, start, datetime(2026, 12, 1, 1, tzinfo=UTC)) == (
        "k-execution-summaries-2026.11.29,k-execution-summaries-2026.11.30,"
        "k-execution-summaries-2026.12.01"
    )
    assert NAMES.covering(KIND, None, None) == "k-execution-summaries-*"


def test_an_open_end_runs_until_tomorrow_and_a_long_range_names_months() -> None:
    now = datetime.now(UTC)
    names = NAMES.covering(KIND, now - timedelta(hours=1), None).split(",")
    assert names[-1] == NAMES.daily(KIND, now + timedelta(days=1))
    long = NAMES.covering(KIND, datetime(2025, 12, 5, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    assert long == (
        "k-execution-summaries-2025.12.*,k-execution-summaries-2026.01.*,"
        "k-execution-summaries-2026.02.*"
    )


def test_summaries_keep_the_searchable_fields_only() -> None:
    document = {
        "id": "e",
        "namespace": "n",
        "flowId": "f",
        "flowKey": "n/f",
        "state": {"current": "RUNNING", "histories": [{"state": "CREATED"}]},
        "trigger": {"id": "t", "type": "x", "variables": {"big": 1}},
        "taskRunList": [{"id": "r"}],
        "@timestamp": "2026-11-20T08:00:00Z",
    }
    summary = summary_document(document)
    assert summary["state"] == {"current": "RUNNING"} and summary["trigger"] == {"id": "t"}
    assert "taskRunList" not in summary and summary["@timestamp"] == document["@timestamp"]


def summary(n: int, key: str, state: str, ms: int | None, deleted: bool = False) -> dict:  # type: ignore[type-arg]
    namespace, _, flow_id = key.partition("/")
    source = {
        "id": f"e{n}",
        "namespace": namespace,
        "flowId": flow_id,
        "flowKey": key,
        "state": {"current": state},
        "@timestamp": f"2026-11-20T08:{n:02d}:00Z",
        "deleted": deleted,
    }
    return source if ms is None else {**source, "durationMs": ms}


def test_day_statistics_count_states_and_durations_per_flow() -> None:
    summaries = [
        summary(1, "a/x", "SUCCESS", 1000),
        summary(2, "a/x", "FAILED", 3000),
        summary(3, "a/x", "RUNNING", None),
        summary(4, "a/x", "SUCCESS", 9000, deleted=True),
        summary(5, "b/y", "SUCCESS", 500),
    ]
    x, y, gone = day_statistics(date(2026, 11, 20), summaries, ["a/x", "c/z"])
    assert (x["flowKey"], x["namespace"], x["flowId"]) == ("a/x", "a", "x")
    assert x["states"] == {"FAILED": 1, "RUNNING": 1, "SUCCESS": 1} and x["total"] == 3
    assert (x["durationCount"], x["durationSumMs"], x["durationMinMs"], x["durationMaxMs"]) == (
        2,
        4000,
        1000,
        3000,
    )
    assert [item["ms"] for item in x["latest"]] == [3000, 1000]  # newest first
    assert x["day"] == "2026-11-20" and x["@timestamp"] == "2026-11-20T00:00:00Z"
    assert y["total"] == 1
    # a flow whose executions are all gone gets zeros, overwriting its earlier figures
    assert (gone["flowKey"], gone["total"], gone["states"], gone["latest"]) == ("c/z", 0, {}, [])


def test_computing_again_gives_the_same_documents_and_keeps_the_latest_durations_bounded() -> None:
    many = [summary(n % 60, "a/x", "SUCCESS", n) for n in range(LATEST_KEPT + 50)]
    once = day_statistics(date(2026, 11, 20), many)
    assert once == day_statistics(date(2026, 11, 20), list(reversed(many)))
    assert len(once[0]["latest"]) == LATEST_KEPT and once[0]["total"] == LATEST_KEPT + 50
