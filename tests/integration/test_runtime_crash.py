"""Exactly once under crashes: executor and workers as separate processes, killed with -9.

The embedded broker never evicts a member killed without leaving (BACKENDS.md), so a
killed process is restarted with the same instance id (static membership gives it its
partitions back). Takeover of a dead member's partitions by a survivor needs real Kafka.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import own_backend_settings
from runtime_helpers import Cluster, KestrelProcess, SnapshotWatcher, ended, submit

from orchestrator.kafka import partition_for
from orchestrator.models.execution import Execution, new_id
from orchestrator.models.messages import CreateExecution
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration
EXPECTED_RUNS = {"parallel-work": 5, "foreach-work": 5}


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[KestrelSettings]:
    """A broker of its own for each crash test: it measures recovery, not earlier load."""
    yield from own_backend_settings(tmp_path, "crash")


@pytest.fixture
def cluster(deployed: KestrelSettings, tmp_path: Path) -> Iterator[Cluster]:
    running = Cluster(deployed, tmp_path)
    yield running
    running.stop()


def _creates(count: int) -> list[CreateExecution]:
    flows = list(EXPECTED_RUNS)
    return [
        CreateExecution(
            execution_id=new_id(), namespace="kestrel.crash", flow_id=flows[index % len(flows)]
        )
        for index in range(count)
    ]


def _assert_exactly_once(watcher: SnapshotWatcher, finished: dict[str, Execution]) -> None:
    for execution_id, execution in finished.items():
        assert execution.state.current is StateType.SUCCESS, execution_id
        assert len(execution.task_run_list) == EXPECTED_RUNS[execution.flow_id]
        seqs = [snapshot.seq for snapshot in watcher.snapshots[execution_id]]
        assert seqs == list(range(1, len(seqs) + 1)), f"{execution_id}: seq {seqs}"
        for run in execution.task_run_list:
            terminal = [h for h in run.state.histories if h.state.is_terminated]
            assert len(terminal) == 1, f"{run.task_id} ended {len(terminal)} times"
            assert len(run.attempts) <= 1, f"{run.task_id} ran {len(run.attempts)} times"


def test_executor_killed_mid_flight_resumes_exactly_once(
    settings: KestrelSettings, cluster: Cluster, watcher: SnapshotWatcher
) -> None:
    executor = cluster.start("executor", "crash-executor")
    cluster.start("worker", "crash-worker")
    ids = submit(settings, _creates(200))
    watcher.wait_count(ids, ended, at_least=10, timeout=60)  # the run is under way
    executor.kill9()
    in_flight = sum(1 for each in ids if not ended(watcher.latest(each) or _never()))
    cluster.start("executor", "crash-executor")  # same id: its partitions come back
    finished = watcher.wait_for(ids, ended, timeout=180)
    assert in_flight > 0, "the executor was killed after everything had ended"
    _assert_exactly_once(watcher, finished)


def _never() -> Execution:
    return Execution(id="none", namespace="none", flow_id="none", flow_revision=1)


def test_worker_killed_while_running_tasks_has_them_run_again(
    settings: KestrelSettings, cluster: Cluster, watcher: SnapshotWatcher
) -> None:
    cluster.start("executor", "lost-executor")
    worker = cluster.start("worker", "lost-worker")
    creates = [
        CreateExecution(
            execution_id=new_id(),
            namespace="kestrel.crash",
            flow_id="slow-shell",
            inputs={"seconds": 8},
        )
        for _ in range(6)
    ]
    ids = submit(settings, creates)
    watcher.wait_for(ids, _shell_running, timeout=60)
    worker.kill9()
    cluster.start("worker", "lost-worker")  # a new incarnation of the same instance
    finished = watcher.wait_for(ids, ended, timeout=120)
    for execution in finished.values():
        assert execution.state.current is StateType.SUCCESS, cluster.logs()
        work = next(run for run in execution.task_run_list if run.task_id == "work")
        assert len(work.attempts) == 2, "the lost attempt is followed by a new one"
        lost, rerun = work.attempts
        assert lost.state.current is StateType.FAILED and rerun.state.current is StateType.SUCCESS
        assert lost.worker_id != rerun.worker_id


def _shell_running(execution: Execution) -> bool:
    return any(
        run.task_id == "work" and run.state.current is StateType.RUNNING
        for run in execution.task_run_list
    )


def test_two_executors_one_killed_the_other_keeps_serving(
    settings: KestrelSettings, cluster: Cluster, watcher: SnapshotWatcher
) -> None:
    first = cluster.start("executor", "pair-executor-a")
    second = cluster.start("executor", "pair-executor-b")
    cluster.start("worker", "pair-worker")
    owned_by_second = _wait_for_split(first, second, settings.kafka.partitions)
    first.kill9()
    ids = submit(settings, _creates(60))
    partitions = settings.kafka.partitions
    served = [each for each in ids if partition_for(each, partitions) in owned_by_second]
    stranded = [each for each in ids if each not in served]
    assert served and stranded
    watcher.wait_for(served, ended, timeout=120)  # served while the other one is dead
    assert all(watcher.latest(each) is None for each in stranded)
    cluster.start("executor", "pair-executor-a")
    finished = watcher.wait_for(ids, ended, timeout=120)
    _assert_exactly_once(watcher, finished)


def _assigned(process: KestrelProcess) -> set[int] | None:
    """The partitions of the executor's latest assignment (from its log), or None yet."""
    found = re.findall(r"restored \d+ executions of partitions \[([\d, ]*)\]", process.output())
    return {int(p) for p in found[-1].split(",") if p.strip()} if found else None


def _wait_for_partitions(process: KestrelProcess, timeout: float = 60) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        owned = _assigned(process)
        if owned is not None:
            return owned
        time.sleep(0.1)  # polling the process log for a condition, bounded by the deadline
    raise AssertionError(f"no partition assignment: {process.output()[-2000:]}")


def _wait_for_split(
    first: KestrelProcess, second: KestrelProcess, partitions: int, timeout: float = 60
) -> set[int]:
    """Wait until the two executors share the partitions out; return the second's share.

    Whichever joins first takes every partition until the other's join is rebalanced in.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        one, other = _assigned(first), _assigned(second)
        if one and other and not one & other and one | other == set(range(partitions)):
            return other
        time.sleep(0.1)  # polling the process logs for a condition, bounded by the deadline
    raise AssertionError(f"no split: {first.output()[-1000:]}\n{second.output()[-1000:]}")


@pytest.mark.real_kafka
@pytest.mark.skipif(
    not os.environ.get("KESTREL_KAFKA_BOOTSTRAP"),
    reason="a survivor takes over a dead member's partitions only on real Kafka",
)
def test_survivor_takes_over_a_dead_executors_partitions(
    settings: KestrelSettings, cluster: Cluster, watcher: SnapshotWatcher
) -> None:
    first = cluster.start("executor", "takeover-a")
    cluster.start("executor", "takeover-b")
    cluster.start("worker", "takeover-worker")
    _wait_for_partitions(first)
    first.kill9()  # never restarted: real Kafka evicts it after session.timeout.ms
    ids = submit(settings, _creates(40))
    finished = watcher.wait_for(ids, ended, timeout=180)
    _assert_exactly_once(watcher, finished)
