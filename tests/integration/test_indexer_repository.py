from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from indexer_samples import T0, flow_record, log_line, snapshots, trigger_state

from indexer.bulk import send
from indexer.daystats import compute_day_stats, touched_by
from indexer.transform import Targets, Transformer
from orchestrator.backends import Backends
from orchestrator.kafka import TOPICS, Record, Topics, TopicSpec, encode
from orchestrator.models import Execution
from orchestrator.models.base import KestrelModel
from orchestrator.models.state import StateType
from orchestrator.repository import ExecutionFilter, LogFilter, Repositories, ensure_indices
from orchestrator.settings import load_settings
from orchestrator.tasks.base import LogLevel
from orchestrator.webserver.dashboard import DashboardQuery, dashboard

pytestmark = pytest.mark.integration

HOUR = timedelta(hours=1)


def _executions() -> dict[str, list[Execution]]:
    """Eight executions over four hours; e6 lives in namespace `companyx`, e8 is deleted."""
    plan: list[tuple[str, str, str, StateType, timedelta, float, dict[str, str]]] = [
        ("e1", "company.team", "etl", StateType.SUCCESS, 0 * HOUR, 2, {}),
        ("e2", "company.team", "etl", StateType.FAILED, 1 * HOUR, 4, {}),
        ("e3", "company.team", "etl", StateType.FAILED, 2 * HOUR, 6, {"env": "prod"}),
        (
            "e4",
            "company",
            "report",
            StateType.SUCCESS,
            1 * HOUR,
            1,
            {"env": "prod", "team": "data"},
        ),
        ("e5", "company", "report", StateType.KILLED, 3 * HOUR, 3, {}),
        ("e6", "companyx", "etl", StateType.SUCCESS, 3 * HOUR, 10, {}),
        ("e7", "company.team", "etl", StateType.RUNNING, 2 * HOUR, 1, {}),
        ("e8", "company.team", "etl", StateType.SUCCESS, 1 * HOUR, 1, {}),
    ]
    result = {}
    for execution_id, namespace, flow_id, state, offset, seconds, labels in plan:
        final = StateType.SUCCESS if state is StateType.RUNNING else state
        history = snapshots(
            execution_id,
            final,
            namespace=namespace,
            flow_id=flow_id,
            started=T0 + offset,
            seconds=seconds,
            labels=labels,
        )
        result[execution_id] = history[1:2] if state is StateType.RUNNING else history
    result["e8"][-1] = result["e8"][-1].model_copy(update={"deleted": True})
    return result


EXECUTIONS = _executions()


def _record(topics: Topics, spec: TopicSpec[Any], key: str, value: KestrelModel, n: int) -> Record:
    return Record(topics.name(spec), 0, n, key.encode(), encode(value))


@pytest.fixture(scope="module")
def repos(backends: Backends) -> Iterator[Repositories]:
    """Documents written straight through the indexer's transform and bulk code."""
    settings = load_settings(
        kafka={"bootstrap": backends.kafka_bootstrap, "topic_prefix": "repo.test."},
        elasticsearch={
            "url": backends.elasticsearch_url,
            "index_prefix": f"repo-{uuid.uuid4().hex[:8]}-",
        },
    )
    topics = Topics.from_settings(settings)
    records: list[Record] = []
    n = 0
    for history in EXECUTIONS.values():
        for snapshot in history:
            n += 1
            records.append(_record(topics, TOPICS.executions, snapshot.id, snapshot, n))
    first = EXECUTIONS["e1"][-1]
    lines = [
        (T0, LogLevel.INFO, "starting", "first"),
        (T0 + timedelta(seconds=1), LogLevel.DEBUG, "details", "first"),
        (T0 + timedelta(seconds=2), LogLevel.WARN, "disk almost full", "second"),
        (T0 + timedelta(seconds=3), LogLevel.INFO, "more", "second"),
        (T0 + timedelta(hours=16, seconds=1), LogLevel.ERROR, "next day: disk full", "second"),
        (T0 + timedelta(hours=16, seconds=2), LogLevel.INFO, "bye", "second"),
        (T0 + timedelta(hours=16, seconds=2), LogLevel.INFO, "same millisecond", "second"),
    ]
    for at, level, message, task_id in lines:
        n += 1
        line = log_line(first, message, at, level, task_id)
        records.append(_record(topics, TOPICS.logs, first.id, line, n))
    flows = [
        flow_record("company", "a", 1),
        flow_record("company", "a", 2, description="Loads the warehouse"),
        flow_record("company.team", "b", 1).model_copy(update={"deleted": True}),
    ]
    for flow in flows:
        n += 1
        records.append(_record(topics, TOPICS.flows, f"{flow.namespace}/{flow.id}", flow, n))
        key = f"{flow.namespace}/{flow.id}/{flow.revision}"
        records.append(_record(topics, TOPICS.flow_revisions, key, flow, n))
    for trigger_id in ("hourly", "daily"):
        n += 1
        state = trigger_state("company", "a", trigger_id)
        records.append(_record(topics, TOPICS.triggers, f"company/a/{trigger_id}", state, n))

    with Repositories.from_settings(settings) as repositories:
        ensure_indices(repositories.client, repositories.names)
        transformer = Transformer(topics, Targets(repositories.names))
        actions = [action for record in records for action in transformer.transform(record).actions]
        outcome = send(repositories.client, actions)
        assert outcome.rejected == [] and outcome.retry == []
        touched = touched_by(repositories.names, actions)
        assert compute_day_stats(repositories.client, repositories.names, touched) == 3  # flows
        repositories.client.indices.refresh(index=f"{repositories.names.prefix}*")
        yield repositories


def ids(page: Any) -> list[str]:
    return sorted(item.id for item in page.items)


def test_find_executions_by_namespace_flow_state_labels_time_and_text(repos: Repositories) -> None:
    find = repos.executions.find
    assert ids(find(ExecutionFilter(namespace="company"))) == ["e1", "e2", "e3", "e4", "e5", "e7"]
    assert ids(find(ExecutionFilter(namespace="company.team", flow_id="etl"))) == [
        "e1",
        "e2",
        "e3",
        "e7",
    ]
    failed = ExecutionFilter(states=(StateType.FAILED, StateType.KILLED))
    assert ids(find(failed)) == ["e2", "e3", "e5"]
    assert ids(find(ExecutionFilter(labels=(("env", "prod"),)))) == ["e3", "e4"]
    both = ExecutionFilter(labels=(("env", "prod"), ("team", "data")))
    assert ids(find(both)) == ["e4"]
    window = ExecutionFilter(start=T0 + 90 * timedelta(minutes=1), end=T0 + 3 * HOUR)
    assert ids(find(window)) == ["e3", "e7"]
    assert ids(find(ExecutionFilter(text="REPORT"))) == ["e4", "e5"]
    assert ids(find(ExecutionFilter(text="e6"))) == ["e6"]
    assert repos.executions.count() == 7
    assert repos.executions.count(ExecutionFilter(include_deleted=True)) == 8


def test_pages_and_sorts(repos: Repositories) -> None:
    pages = [repos.executions.find(page=p, size=3, sort="start:asc") for p in (1, 2, 3)]
    assert [page.total for page in pages] == [7, 7, 7]
    seen = [item.id for page in pages for item in page.items]
    assert len(seen) == 7 == len(set(seen))
    assert seen[0] == "e1" and pages[0].has_more and not pages[2].has_more
    by_duration = repos.executions.find(ExecutionFilter(namespace="company"), sort="duration:asc")
    assert [item.id for item in by_duration.items][:2] == ["e4", "e1"]
    assert by_duration.items[-1].id == "e7"  # still running: no duration, sorted last


def test_get_one_and_its_task_runs(repos: Repositories) -> None:
    assert repos.executions.get("e2") == EXECUTIONS["e2"][-1]
    assert repos.executions.get("missing") is None
    runs = repos.executions.task_runs("e2")
    assert [run.task_id for run in runs] == ["first", "second"]
    assert [run.state for run in runs] == [StateType.SUCCESS, StateType.FAILED]
    assert runs[1].attempts == 2 and runs[1].duration_ms == 2000


def test_logs_by_level_text_task_and_search_after(repos: Repositories) -> None:
    everything = list(repos.logs.iterate(LogFilter(execution_id="e1"), page_size=3))
    messages = [hit.entry.message for hit in everything]
    assert messages == [
        "starting",
        "details",
        "disk almost full",
        "more",
        "next day: disk full",
        "bye",
        "same millisecond",
    ]
    assert len({(hit.partition, hit.offset) for hit in everything}) == 7
    warn = LogFilter(execution_id="e1", min_level=LogLevel.WARN)
    assert [hit.entry.message for hit in repos.logs.iterate(warn)] == [
        "disk almost full",
        "next day: disk full",
    ]
    text = LogFilter(execution_id="e1", text="disk full")
    assert [hit.entry.message for hit in repos.logs.iterate(text)] == [
        "disk almost full",
        "next day: disk full",
    ]
    assert repos.logs.count(LogFilter(execution_id="e1", task_id="first")) == 2
    day_two = LogFilter(execution_id="e1", start=T0 + timedelta(hours=16))
    assert repos.logs.count(day_two) == 3
    first_page = repos.logs.search(LogFilter(execution_id="e1"), size=2, newest_first=True)
    assert [hit.entry.message for hit in first_page.hits] == ["same millisecond", "bye"]
    assert first_page.next_cursor is not None
    assert repos.logs.count(LogFilter(execution_id="nobody")) == 0


def test_flows_revisions_and_triggers(repos: Repositories) -> None:
    flows = repos.flows.find()
    assert [(flow.namespace, flow.id, flow.revision) for flow in flows.items] == [
        ("company", "a", 2)
    ]
    assert repos.flows.find(include_deleted=True).total == 2
    assert [flow.id for flow in repos.flows.find(text="warehouse").items] == ["a"]
    assert [record.revision for record in repos.flows.revisions("company", "a")] == [1, 2]
    latest = repos.flows.get("company", "a")
    assert latest is not None and latest.revision == 2
    assert [state.trigger_id for state in repos.flows.triggers(namespace="company")] == [
        "daily",
        "hourly",
    ]


def test_dashboard_aggregations(repos: Repositories) -> None:
    stats = repos.stats
    buckets = stats.executions_per_state(T0 - HOUR, T0 + 5 * HOUR, HOUR)
    assert [bucket.start for bucket in buckets] == [T0 + n * HOUR for n in range(-1, 5)]
    assert [bucket.total for bucket in buckets] == [0, 1, 2, 2, 2, 0]  # e8 is deleted
    assert buckets[2].counts == {StateType.FAILED: 1, StateType.SUCCESS: 1}
    assert buckets[3].counts == {StateType.FAILED: 1, StateType.RUNNING: 1}
    assert stats.executions_per_state(T0, T0 + 5 * HOUR, HOUR, namespace="company")[3].total == 1

    durations = {
        (d.namespace, d.flow_id): d for d in stats.duration_percentiles(T0 - HOUR, T0 + 5 * HOUR)
    }
    etl = durations[("company.team", "etl")]
    assert etl.count == 3 and etl.average == 4000
    assert etl.percentiles[50.0] == 4000
    assert etl.percentiles[99.0] is not None and 4000 < etl.percentiles[99.0] <= 6000
    assert durations[("company", "report")].count == 2
    assert durations[("companyx", "etl")].count == 1

    failing = stats.top_failing_flows(T0 - HOUR, T0 + 5 * HOUR)
    assert [(f.namespace, f.flow_id, f.failed, f.total) for f in failing] == [
        ("company.team", "etl", 2, 4),
    ]  # company/report's only failure was KILLED: a kill is not a failing flow
    assert failing[0].failure_rate == 0.5
    assert stats.top_failing_flows(T0 + 4 * HOUR) == []


def test_the_dashboard_search_counts_days_failures_and_live_executions(repos: Repositories) -> None:
    """``/stats/dashboard``'s one search, on the same executions (e8 is deleted)."""
    day = DashboardQuery(start_date=T0 - HOUR, end_date=T0 + 5 * HOUR)
    figures = dashboard(repos, day)
    counts = {d["startDate"]: d["executionCounts"] for d in figures["daily"]}
    assert {state: n for state, n in counts["2026-11-20"].items() if n} == {
        "SUCCESS": 3,
        "FAILED": 2,
        "KILLED": 1,
        "RUNNING": 1,
    }
    assert figures["failingFlows"] == [
        {"namespace": "company.team", "flowId": "etl", "failed": 2, "total": 4}
    ]
    assert (figures["running"], figures["queued"]) == (1, 0)
    assert sorted(figures["durationsMs"]) == [1000, 2000, 3000, 4000, 6000, 10000]

    scoped = dashboard(repos, day.model_copy(update={"namespace": "company.team"}))
    scoped_counts = {s: n for s, n in scoped["daily"][-1]["executionCounts"].items() if n}
    assert scoped_counts == {"SUCCESS": 1, "FAILED": 2, "RUNNING": 1}
    report = dashboard(repos, day.model_copy(update={"namespace": "company", "flow_id": "report"}))
    assert report["failingFlows"] == [] and report["running"] == 0
    # whole days: a range within the day counts the whole day
    within = dashboard(repos, DashboardQuery(start_date=T0 + 4 * HOUR, end_date=T0 + 5 * HOUR))
    assert within["daily"] == figures["daily"][-1:]
    later = dashboard(repos, DashboardQuery(start_date=T0 + 24 * HOUR, end_date=T0 + 48 * HOUR))
    assert [d["startDate"] for d in later["daily"]] == ["2026-11-21", "2026-11-22"]
    assert sum(sum(d["executionCounts"].values()) for d in later["daily"]) == 0
    assert later["failingFlows"] == [] and later["durationsMs"] == []
    assert later["running"] == 1  # running and queued: over all time, whatever the range
    # The latest durations: from the last days of the range that hold enough of them (the
    # last two days here hold none: the search widens to the day of the executions).
    wider = DashboardQuery(start_date=T0 - 20 * 24 * HOUR, end_date=T0 + 48 * HOUR)
    assert dashboard(repos, wider)["durationsMs"] == figures["durationsMs"]
    three = dashboard(repos, day.model_copy(update={"sample": 3}))["durationsMs"]
    assert three == figures["durationsMs"][:3]
