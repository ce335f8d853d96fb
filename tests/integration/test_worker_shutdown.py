"""A worker stopped while Kafka is unreachable still stops in bounded time."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TEST_PARTITIONS, unavailable
from runtime_helpers import KestrelProcess, service_env
from test_worker_busy import Results, send_tasks, shell_task

from orchestrator.backends import BackendError, EmbeddedBackends, noida_binary
from orchestrator.backends.resolve import KAFKA_ENV
from orchestrator.kafka import ensure_topics
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings, load_settings

pytestmark = pytest.mark.integration

GRACE = 3.0
"""``shutdown_grace`` of the worker under test."""
CLOSING = 10.0
"""What stopping may take on top of the grace: the tasks handed back end, clients close."""


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[EmbeddedBackends]:
    """A Kafka broker of this test's own, which it stops."""
    if os.environ.get(KAFKA_ENV):
        pytest.skip("stops its own broker; an external one cannot be stopped here")
    try:
        noida_binary()
    except BackendError as exc:
        unavailable(str(exc))
    server = EmbeddedBackends(tmp_path / "kafka", elasticsearch=False).start()
    yield server
    server.stop()


def test_sigterm_with_kafka_down_stops_within_the_grace(
    broker: EmbeddedBackends, tmp_path: Path
) -> None:
    settings: KestrelSettings = load_settings(
        kafka={
            "bootstrap": broker.kafka_bootstrap,
            "topic_prefix": f"shutdown.{uuid.uuid4().hex[:8]}.",
            "partitions": TEST_PARTITIONS,
        },
        elasticsearch={"url": "http://127.0.0.1:9"},  # never used by a worker
        storage={"base_dir": tmp_path / "storage"},
    )
    ensure_topics(settings)
    go = tmp_path / "go"
    # One task ends during the grace, with nobody to take its result; one never ends.
    finishing = shell_task([f'while [ ! -e "{go}" ]; do sleep 0.05; done', "echo finished"])
    endless = shell_task(["sleep 600"])
    env = service_env(settings, shutdown_grace=GRACE, heartbeat_interval=0.5)
    worker = KestrelProcess(
        ["worker", "--instance-id", "stopping-worker", "--threads", "2"],
        env,
        tmp_path / "worker.log",
    ).start()
    results = Results(settings)
    try:
        send_tasks(settings, [finishing, endless])
        results.wait_for(
            lambda: all(results.of(t.task_run.id) for t in (finishing, endless)),
            60,
            "both tasks started",
        )
        results.close()
        broker.stop()
        go.touch()  # the task ends while Kafka is away: its result cannot be delivered
        started = time.monotonic()
        assert worker.process is not None
        worker.process.terminate()
        try:
            code = worker.process.wait(timeout=GRACE + CLOSING)
        except Exception:
            worker.process.kill()
            raise AssertionError(
                f"the worker did not stop within {GRACE + CLOSING} s:\n{worker.output()[-3000:]}"
            ) from None
        took = time.monotonic() - started
        output = worker.output()
        assert code == 0, output[-3000:]
        assert took < GRACE + CLOSING, output[-3000:]
        assert f"result of task run {finishing.task_run.id}" in output
        assert "was NOT delivered" in output, output[-3000:]
        assert "handing back 2 unfinished task runs" in output, output[-3000:]
    finally:
        if worker.process is not None and worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(10)
    assert results.of(finishing.task_run.id) == [StateType.RUNNING]
