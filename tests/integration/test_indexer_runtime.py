"""Executions run through the runtime become searchable in Elasticsearch within seconds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from runtime_helpers import (
    KestrelProcess,
    SnapshotWatcher,
    ended,
    standalone_server,
    submit,
)

from orchestrator.cli.deploy import deploy_files
from orchestrator.models.execution import new_id
from orchestrator.models.messages import CreateExecution
from orchestrator.models.state import StateType
from orchestrator.repository import ExecutionFilter, LogFilter, Repositories
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 15) -> T:
    """Return ``check()`` once it returns without an AssertionError (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)  # polling a condition, bounded by the deadline


@pytest.fixture
def server(settings: KestrelSettings, tmp_path: Path) -> Iterator[KestrelProcess]:
    with standalone_server(settings, tmp_path) as process:
        yield process


def test_runtime_executions_are_searchable(
    settings: KestrelSettings, server: KestrelProcess
) -> None:
    # Not the scheduled example: its firings would change the counts searched below.
    unscheduled = [path for path in sorted(EXAMPLES.glob("*.yaml")) if path.stem != "scheduled"]
    deployed = deploy_files(settings, unscheduled)
    watcher = SnapshotWatcher(settings)
    try:
        creates = [
            CreateExecution(execution_id=new_id(), namespace=d.namespace, flow_id=d.flow_id)
            for d in deployed
            for _ in range(3)
        ]
        creates.append(
            CreateExecution(
                execution_id=new_id(),
                namespace="kestrel.examples",
                flow_id="error-handling",
                inputs={"fail": True},
            )
        )
        ids = submit(settings, creates)
        finished = watcher.wait_for(ids, ended, timeout=120)
        logged = {each: [e for e in watcher.logs if e.execution_id == each] for each in ids}
    finally:
        watcher.close()
    repositories = Repositories.from_settings(settings)

    def executions_indexed() -> None:
        for execution_id, execution in finished.items():
            found = repositories.executions.get(execution_id)
            assert found is not None, execution_id
            assert found.state.current is execution.state.current
            runs = repositories.executions.task_runs(execution_id)
            assert sorted((r.task_id, r.state) for r in runs) == sorted(
                (r.task_id, r.state.current) for r in execution.task_run_list
            )

    def logs_indexed() -> None:
        for execution_id, entries in logged.items():
            count = repositories.logs.count(LogFilter(execution_id=execution_id))
            assert count == len(entries), execution_id

    def flows_indexed() -> None:
        for each in deployed:
            flow = repositories.flows.get(each.namespace, each.flow_id)
            assert flow is not None and flow.revision == each.revision

    expected_failed = sum(1 for e in finished.values() if e.state.current is StateType.FAILED)
    assert expected_failed >= 1

    def searchable_by_state() -> None:  # search sees documents after a refresh (1 s)
        failed = ExecutionFilter(namespace="kestrel.examples", states=(StateType.FAILED,))
        assert repositories.executions.count(failed) == expected_failed
        assert repositories.executions.count(ExecutionFilter(namespace="kestrel")) == len(ids)

    eventually(executions_indexed)
    eventually(logs_indexed)
    eventually(flows_indexed)
    eventually(searchable_by_state)
