"""Summaries and per-day statistics through the running indexer: replays count once,
a deleted execution leaves both, and a search of a range reads only its days."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from indexer_samples import T0, quick, running, snapshots, wait_until

from indexer.service import Indexer
from orchestrator.backends import Backends
from orchestrator.kafka import TOPICS, KafkaProducer, ensure_topics
from orchestrator.models import Execution
from orchestrator.models.state import StateType
from orchestrator.repository import ExecutionFilter, Repositories
from orchestrator.repository.indices import IndexKind
from orchestrator.settings import KestrelSettings, load_settings
from orchestrator.webserver.dashboard import DashboardQuery, dashboard

pytestmark = pytest.mark.integration

DAY = timedelta(days=1)


@pytest.fixture
def settings(backends: Backends) -> Iterator[KestrelSettings]:
    run = uuid.uuid4().hex[:8]
    yield quick(
        load_settings(
            kafka={"bootstrap": backends.kafka_bootstrap, "topic_prefix": f"days.{run}."},
            elasticsearch={"url": backends.elasticsearch_url, "index_prefix": f"days-{run}-"},
        )
    )


def stats(repos: Repositories) -> dict[str, dict[str, Any]]:
    index = repos.names.alias(IndexKind.EXECUTION_STATS)
    repos.client.indices.refresh(index=index)
    hits = repos.client.search(index=index, size=100).body["hits"]["hits"]
    return {hit["_id"]: hit["_source"] for hit in hits}


def send(settings: KestrelSettings, executions: list[tuple[str, Execution | None]]) -> None:
    with KafkaProducer(settings) as producer:
        for key, value in executions:
            producer.send(TOPICS.executions, key, value)
        producer.flush(30)


def test_replays_count_once_and_a_deleted_execution_leaves_the_figures(
    settings: KestrelSettings,
) -> None:
    ensure_topics(settings)
    plan = [
        ("d1", StateType.SUCCESS, T0),
        ("d2", StateType.FAILED, T0 + timedelta(hours=1)),
        ("d3", StateType.SUCCESS, T0 + DAY),
    ]
    history = [
        (e, s)
        for n, final, at in plan
        for e, s in [(n, x) for x in snapshots(n, final, started=at)]
    ]
    send(settings, history)
    expected_day = {"SUCCESS": 1, "FAILED": 1}
    with Repositories.from_settings(settings) as repos:
        with running(Indexer(settings)):
            first_id = f"{T0.date().isoformat()}/company.team/hello"
            wait_until(lambda: stats(repos).get(first_id, {}).get("states") == expected_day)
            before = stats(repos)
        assert before[first_id]["total"] == 2 and before[first_id]["durationCount"] == 2
        assert before[f"{(T0 + DAY).date().isoformat()}/company.team/hello"]["total"] == 1

        # The same records again (a new group reads from the start: a replay), then d2 deleted.
        replay = settings.model_copy(
            update={
                "indexer": settings.indexer.model_copy(
                    update={"group_id": "replay-" + uuid.uuid4().hex[:6], "instance_id": "replay"}
                )
            }
        )
        send(settings, [("d2", None)])
        replayer = Indexer(replay)
        with running(replayer):
            wait_until(lambda: stats(repos)[first_id]["states"] == {"SUCCESS": 1})
            after = stats(repos)
        assert replayer.stats.records == len(history) + 1  # everything read again
        assert after[first_id]["total"] == 1 and after[first_id]["durationCount"] == 1
        assert after[f"{(T0 + DAY).date().isoformat()}/company.team/hello"]["total"] == 1

        # Searches of a range read the summaries of its days; d2's summary is gone too.
        assert repos.executions.count(ExecutionFilter(start=T0 - DAY)) == 2
        day_one = ExecutionFilter(start=T0, end=T0 + timedelta(hours=12))
        assert [e.id for e in repos.executions.find(day_one).items] == ["d1"]
        assert repos.executions.summaries_of(day_one) == repos.names.daily(
            IndexKind.EXECUTION_SUMMARIES, T0
        )
        figures = dashboard(repos, DashboardQuery(start_date=T0, end_date=T0 + DAY))
        assert [d["executionCounts"]["SUCCESS"] for d in figures["daily"]] == [1, 1]
        assert figures["failingFlows"] == [] and len(figures["durationsMs"]) == 2


def test_an_open_range_list_reads_the_last_days_and_counts_from_the_statistics(
    settings: KestrelSettings,
) -> None:
    ensure_topics(settings)
    now = datetime.now(UTC)
    plan = [
        ("n1", StateType.SUCCESS, now - timedelta(hours=2), "etl"),
        ("n2", StateType.FAILED, now - 3 * DAY, "etl"),
        ("n3", StateType.SUCCESS, now - 40 * DAY, "other"),
    ]
    send(
        settings,
        [
            (n, s)
            for n, final, at, flow in plan
            for s in snapshots(n, final, started=at, flow_id=flow, labels={"run": n})
        ],
    )
    with Repositories.from_settings(settings) as repos, running(Indexer(settings)):
        wait_until(lambda: sum(d["total"] for d in stats(repos).values()) == 3)
        find = repos.executions.find
        newest = find(size=1)  # the last day holds the page; the total from the statistics
        assert ([e.id for e in newest.items], newest.total) == (["n1"], 3)
        second = find(page=2, size=1)  # the last week holds it
        assert ([e.id for e in second.items], second.total) == (["n2"], 3)
        third = find(page=3, size=1)  # only the whole history holds it
        assert ([e.id for e in third.items], third.total) == (["n3"], 3)
        nothing = find(ExecutionFilter(states=(StateType.RUNNING,)))  # the last day answers
        assert (nothing.items, nothing.total) == ([], 0)
        old = find(ExecutionFilter(flow_id="other"))  # 40 days back: the whole history
        assert ([e.id for e in old.items], old.total) == (["n3"], 1)
        failed = find(ExecutionFilter(states=(StateType.FAILED,)), size=1)
        assert ([e.id for e in failed.items], failed.total) == (["n2"], 1)
        etl = find(ExecutionFilter(namespace="company", flow_id="etl"), size=1)
        assert ([e.id for e in etl.items], etl.total) == (["n1"], 2)
        labelled = find(ExecutionFilter(labels=(("run", "n2"),)), size=1)  # counted instead
        assert ([e.id for e in labelled.items], labelled.total) == (["n2"], 1)
        text = find(ExecutionFilter(text="other"), size=1)
        assert ([e.id for e in text.items], text.total) == (["n3"], 1)
        everything = find(size=25)  # more rows than the last month holds: one search
        assert [e.id for e in everything.items] == ["n1", "n2", "n3"] and everything.total == 3
        # A range (the UI's default) is read the same way, its total counted over its days.
        ten_days = ExecutionFilter(start=now - 10 * DAY)
        first = find(ten_days, size=1)  # its last day holds the page
        assert ([e.id for e in first.items], first.total) == (["n1"], 2)
        following = find(ten_days, page=2, size=1)  # its last week holds it
        assert ([e.id for e in following.items], following.total) == (["n2"], 2)
        ended = ExecutionFilter(start=now - 50 * DAY, end=now - DAY)  # days before its end
        before = find(ended, size=1)
        assert ([e.id for e in before.items], before.total) == (["n2"], 2)
        assert [e.id for e in find(ended, page=2, size=1).items] == ["n3"]

        # Statistics lag the summaries by a flush: missing ones must not hide a row.
        index = repos.names.alias(IndexKind.EXECUTION_STATS)
        repos.client.delete_by_query(index=index, query={"match_all": {}}, refresh=True)
        late = find(size=25)
        assert [e.id for e in late.items] == ["n1", "n2", "n3"]
        late_failed = find(ExecutionFilter(states=(StateType.FAILED,)))
        assert [e.id for e in late_failed.items] == ["n2"]
