"""A long execution (its task runs on ``task-runs``) survives an executor killed with -9.

Past 50 task runs, an execution's snapshots on ``executions`` are headers and its runs are
records on ``task-runs``; a restarted executor must put them back together and finish the
execution exactly once, with a final snapshot that is whole again. A Pause after the
ForEach holds the execution open whatever the machine's speed: the executor is killed once
the snapshots are headers, during the ForEach or at the Pause, never after the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import own_backend_settings
from runtime_helpers import Cluster, SnapshotWatcher, submit

from orchestrator.cli.deploy import deploy_files
from orchestrator.kafka import TOPICS, KafkaProducer
from orchestrator.models.execution import Execution, new_id
from orchestrator.models.messages import CreateExecution, ResumeExecution
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration
VALUES = 70
"""The ForEach's values: ``range`` is inclusive, as Kestra's."""

FLOW = f"""id: long-foreach
namespace: kestrel.long
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: "{{{{ range(1, {VALUES}) }}}}"
    tasks:
      - id: item
        type: io.kestra.plugin.core.debug.Return
        format: "{{{{ taskrun.value }}}}"
  - id: hold
    type: io.kestra.plugin.core.flow.Pause
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: done
"""


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[KestrelSettings]:
    """A broker of its own: the test kills and restarts the executor."""
    yield from own_backend_settings(tmp_path, "long")


@pytest.fixture
def cluster(deployed: KestrelSettings, tmp_path: Path) -> Iterator[Cluster]:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "long.yaml").write_text(FLOW)
    deploy_files(deployed, [tmp_path / "flows"])
    running = Cluster(deployed, tmp_path)
    yield running
    running.stop()


def _split(execution: Execution) -> bool:
    return (execution.task_run_count or 0) > 51 and not execution.is_whole


def _terminated(execution: Execution) -> bool:
    return execution.state.current.is_terminated


def _paused(execution: Execution) -> bool:
    return execution.state.current is StateType.PAUSED


def test_a_long_execution_restored_from_task_runs_ends_exactly_once(
    settings: KestrelSettings, cluster: Cluster, watcher: SnapshotWatcher
) -> None:
    executor = cluster.start("executor", "long-executor")
    cluster.start("worker", "long-worker")
    create = CreateExecution(
        execution_id=new_id(), namespace="kestrel.long", flow_id="long-foreach"
    )
    (execution_id,) = submit(settings, [create])
    watcher.wait_for([execution_id], _split, timeout=120)
    executor.kill9()
    cluster.start("executor", "long-executor")  # same id: its partitions come back
    paused = watcher.wait_for([execution_id], _paused, timeout=180)[execution_id]
    assert not paused.is_whole, "a long execution's snapshot is its header"
    with KafkaProducer(settings) as producer:
        resume = ResumeExecution(execution_id=execution_id)
        producer.send(TOPICS.execution_commands, execution_id, resume)
        producer.flush()
    final = watcher.wait_for([execution_id], _terminated, timeout=180)[execution_id]
    assert final.state.current is StateType.SUCCESS
    # the ForEach, its items, the Pause and the last task
    assert final.is_whole and len(final.task_run_list) == VALUES + 3
    items = [run for run in final.task_run_list if run.task_id == "item"]
    assert sorted(int(run.value or 0) for run in items) == list(range(1, VALUES + 1))
    for run in final.task_run_list:
        terminal = [h for h in run.state.histories if h.state.is_terminated]
        assert len(terminal) == 1, f"{run.task_id} {run.value} ended {len(terminal)} times"
        assert len(run.attempts) <= 1, f"{run.task_id} {run.value} ran {len(run.attempts)} times"
