"""A Flow trigger with two executor processes: exactly one downstream per upstream."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from runtime_helpers import Cluster, SnapshotWatcher, ended, submit
from scheduler_helpers import FiredWatcher, write_flow

from orchestrator.cli.deploy import deploy_files
from orchestrator.kafka import ensure_topics
from orchestrator.models.execution import new_id
from orchestrator.models.messages import CreateExecution
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration

UPSTREAM = """id: upstream
namespace: tests.flowtrigger
inputs:
  - id: fail
    type: BOOLEAN
    defaults: false
tasks:
  - id: work
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ inputs.fail }}"
outputs:
  - id: number
    type: STRING
    value: "{{ execution.id }}"
"""

DOWNSTREAM = """id: downstream
namespace: tests.flowtrigger
inputs:
  - id: upstream_output
    type: STRING
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "after {{ trigger.executionId }}"
triggers:
  - id: on-upstream
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      upstream_output: "{{ trigger.outputs.number }}"
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: tests.flowtrigger
        flowId: upstream
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in: [SUCCESS]
"""


@pytest.fixture
def cluster(settings: KestrelSettings, tmp_path: Path) -> Iterator[Cluster]:
    ensure_topics(settings)
    running = Cluster(settings, tmp_path)
    yield running
    running.stop()


def test_flow_trigger_with_two_executors_starts_one_downstream_per_upstream(
    settings: KestrelSettings, tmp_path: Path, cluster: Cluster, watcher: SnapshotWatcher
) -> None:
    write_flow(tmp_path / "flows", "upstream", UPSTREAM)
    write_flow(tmp_path / "flows", "downstream", DOWNSTREAM)
    deploy_files(settings, [tmp_path / "flows"])
    fired = FiredWatcher(settings)
    try:
        cluster.start("executor", "executor-a")
        cluster.start("executor", "executor-b")
        cluster.start("worker", "worker-0")
        cluster.start("scheduler", "scheduler-0")
        creates = [
            CreateExecution(
                execution_id=new_id(),
                namespace="tests.flowtrigger",
                flow_id="upstream",
                inputs={"fail": index % 4 == 0},
            )
            for index in range(24)
        ]
        upstream = submit(settings, creates)
        done = watcher.wait_for(upstream, ended, 120)
        succeeded = {each for each, ex in done.items() if ex.state.current is StateType.SUCCESS}
        assert len(succeeded) == 18
        fired.wait(
            lambda: len(fired.fired("downstream")) >= len(succeeded),
            120,
            "a downstream execution per successful upstream " + cluster.logs(),
        )
        downstream = fired.fired("downstream")
        sources = Counter(
            str(each.trigger.variables["executionId"]) for each in downstream if each.trigger
        )
        assert set(sources) == succeeded and set(sources.values()) == {1}
        # The trigger's inputs were rendered from the upstream's outputs.
        assert {each.inputs["upstream_output"] for each in downstream if each.inputs} == succeeded
        finished = watcher.wait_for([each.execution_id for each in downstream], ended, 120)
        assert {ex.state.current for ex in finished.values()} == {StateType.SUCCESS}
        assert len(fired.fired("downstream")) == len(succeeded)
    finally:
        fired.close()
