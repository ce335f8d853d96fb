"""A flow's concurrency limit is exact across executors, and survives a kill -9 of one.

Admission is owned per flow (``concurrency-requests``, keyed ``namespace/flow``), so two
executors serving different execution partitions still never run more than ``limit``
executions of a flow at once. Checked on the final snapshots' state histories: between an
execution's first RUNNING and its end it holds a slot, and those intervals never overlap
more than the limit allows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chaos.checker import most_at_once
from conftest import own_backend_settings
from runtime_helpers import Cluster, SnapshotWatcher, ended, submit

from orchestrator.kafka import partition_for
from orchestrator.models.execution import Execution, new_id
from orchestrator.models.messages import CreateExecution
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[KestrelSettings]:
    yield from own_backend_settings(tmp_path, "concurrency")


@pytest.fixture
def cluster(deployed: KestrelSettings, tmp_path: Path) -> Iterator[Cluster]:
    running = Cluster(deployed, tmp_path)
    running.start("executor", "limit-executor-a")
    running.start("executor", "limit-executor-b")
    running.start("worker", "limit-worker")
    yield running
    running.stop()


def _creates(flow_id: str, count: int) -> list[CreateExecution]:
    return [
        CreateExecution(execution_id=new_id(), namespace="kestrel.crash", flow_id=flow_id)
        for _ in range(count)
    ]


def test_queue_limit_holds_across_two_executors_and_a_kill(
    settings: KestrelSettings, cluster: Cluster, watcher: SnapshotWatcher
) -> None:
    ids = submit(settings, _creates("one-at-a-time", 12))
    partitions = {partition_for(each, settings.kafka.partitions) for each in ids}
    assert len(partitions) > 1, "the executions should spread over both executors"
    watcher.wait_count(ids, ended, at_least=3, timeout=120)
    killed = cluster.processes[0]
    killed.kill9()  # executor a, mid-way: it owns some executions and maybe the flow
    cluster.start("executor", "limit-executor-a")

    finished = watcher.wait_for(ids, ended, timeout=180)

    assert {each.state.current for each in finished.values()} == {StateType.SUCCESS}
    assert most_at_once(list(finished.values())) == 1
    queued = [each for each in finished.values() if StateType.QUEUED in _states(each)]
    assert len(queued) >= 6, "most executions should have waited for their turn"


def _states(execution: Execution) -> list[StateType]:
    return [entry.state for entry in execution.state.histories]


@pytest.mark.parametrize(
    ("flow_id", "refused"),
    [("one-or-cancel", StateType.CANCELLED), ("one-or-fail", StateType.FAILED)],
)
def test_cancel_and_fail_refuse_what_comes_beyond_the_limit(
    settings: KestrelSettings,
    cluster: Cluster,
    watcher: SnapshotWatcher,
    flow_id: str,
    refused: StateType,
) -> None:
    ids = submit(settings, _creates(flow_id, 6))

    finished = watcher.wait_for(ids, ended, timeout=120)

    states = [each.state.current for each in finished.values()]
    assert set(states) <= {StateType.SUCCESS, refused}
    assert states.count(refused) >= 1
    assert most_at_once(list(finished.values())) == 1
    for execution in finished.values():
        if execution.state.current is refused:
            assert _states(execution) == [StateType.CREATED, refused]
