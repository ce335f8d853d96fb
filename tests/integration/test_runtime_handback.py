"""A stopping worker hands back what it could not finish.

Zombie fencing is tested with the incarnations (test_kafka_incarnations.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from runtime_helpers import KestrelProcess, SnapshotWatcher, ended, service_env, submit

from orchestrator.models.execution import new_id
from orchestrator.models.messages import CreateExecution
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration


def test_a_stopping_worker_hands_back_unfinished_work(
    deployed: KestrelSettings, watcher: SnapshotWatcher, tmp_path: Path
) -> None:
    env = service_env(deployed, shutdown_grace=1, heartbeat_interval=0.5, worker_dead_after=4)
    processes = [
        KestrelProcess(["executor", "--instance-id", "handback-executor"], env, tmp_path / "e.log"),
        KestrelProcess(["worker", "--instance-id", "handback-worker"], env, tmp_path / "w.log"),
    ]
    executor, worker = (process.start() for process in processes)
    try:
        create = CreateExecution(
            execution_id=new_id(),
            namespace="kestrel.crash",
            flow_id="slow-shell",
            inputs={"seconds": 6},
        )
        [execution_id] = submit(deployed, [create])
        watcher.wait_for([execution_id], _working, timeout=60)
        assert worker.terminate(timeout=30) == 0  # SIGTERM: 1 s of grace, then hand back
        assert "handing back 1 unfinished task runs" in worker.output()
        replacement = KestrelProcess(
            ["worker", "--instance-id", "handback-worker"], env, tmp_path / "w2.log"
        ).start()
        processes.append(replacement)
        done = watcher.wait_for([execution_id], ended, timeout=90)[execution_id]
        assert done.state.current is StateType.SUCCESS, executor.output()[-2000:]
        work = next(run for run in done.task_run_list if run.task_id == "work")
        assert [a.state.current for a in work.attempts] == [StateType.FAILED, StateType.SUCCESS]
    finally:
        for process in processes:
            if process.process is not None and process.process.poll() is None:
                process.terminate()


def _working(execution: object) -> bool:
    runs = getattr(execution, "task_run_list", ())
    return any(run.task_id == "work" and run.state.current is StateType.RUNNING for run in runs)
