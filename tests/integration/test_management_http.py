"""Health and metrics of real services on the embedded broker, served over HTTP."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from indexer_samples import wait_until
from prometheus_client.parser import text_string_to_metric_families
from runtime_helpers import SnapshotWatcher, ended, submit

from executor.processor import ExecutorProcessor
from orchestrator.cli.context import make_renderer
from orchestrator.kafka import group_id
from orchestrator.management import Health, ManagementServer, Probe
from orchestrator.models.execution import new_id
from orchestrator.models.messages import CreateExecution
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings, ManagementSettings
from worker.service import WorkerService

pytestmark = pytest.mark.integration


class GatedExecutor(ExecutorProcessor):
    """An executor whose loop takes a permit at each turn: a test can hold it still."""

    def __init__(self, settings: KestrelSettings, probe: Probe) -> None:
        super().__init__(settings, "gated-executor", make_renderer(), probe=probe)
        self.permits = threading.Semaphore(0)
        self.open = threading.Event()
        self.waiting = threading.Event()
        self.open.set()

    def before_poll(self) -> None:
        while not self.open.is_set():
            self.waiting.set()
            if self.permits.acquire(timeout=0.05):
                self.waiting.clear()
                return
        self.waiting.clear()

    def stop(self) -> None:
        self.open.set()
        super().stop()


@dataclass
class Served:
    url: str
    executor: GatedExecutor
    health: Health


@pytest.fixture
def served(deployed: KestrelSettings) -> Iterator[Served]:
    settings = deployed.model_copy(
        update={"runtime": deployed.runtime.model_copy(update={"batch_size": 1})}
    )
    health = Health(stalled_after=1.0)
    executor = GatedExecutor(settings, health.probe("executor"))
    worker = WorkerService(
        settings, "metrics-worker", make_renderer(), probe=health.probe("worker")
    )
    server = ManagementServer(ManagementSettings(port=0), health)
    server.start()
    threads = [threading.Thread(target=service.run) for service in (executor, worker)]
    try:
        assert _status(f"{server.url}/health/readiness") == 503  # nothing assigned yet
        for thread in threads:
            thread.start()
        yield Served(server.url, executor, health)
    finally:
        executor.stop()
        worker.stop()
        for thread in threads:
            thread.join(timeout=60)
        server.stop()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def _samples(url: str, name: str, **labels: str) -> list[float]:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        text = response.read().decode()
    return [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    ]


def _creates(count: int) -> list[CreateExecution]:
    return [
        CreateExecution(execution_id=new_id(), namespace="kestrel.crash", flow_id="quick")
        for _ in range(count)
    ]


def test_readiness_follows_the_restore_and_counters_move(
    served: Served, deployed: KestrelSettings, watcher: SnapshotWatcher
) -> None:
    wait_until(lambda: _status(f"{served.url}/health/readiness") == 200, 60, "readiness")
    assert served.executor.probe.is_ready
    ids = submit(deployed, _creates(3))
    watcher.wait_for(ids, ended, timeout=60)
    started = "kestrel_executor_execution_started_count_total"
    ended_count = "kestrel_executor_execution_end_count_total"
    assert sum(_samples(served.url, started, flow_id="quick")) == 3
    assert sum(_samples(served.url, ended_count, flow_id="quick", state=StateType.SUCCESS)) == 3
    assert _samples(served.url, "kestrel_executor_batch_size_count")[0] >= 3


def test_a_stuck_loop_fails_liveness_and_its_lag_shows(
    served: Served, deployed: KestrelSettings, watcher: SnapshotWatcher
) -> None:
    wait_until(lambda: _status(f"{served.url}/health/readiness") == 200, 60, "readiness")
    executor = served.executor
    executor.open.clear()
    assert executor.waiting.wait(10)
    ids = submit(deployed, _creates(5))
    wait_until(lambda: _status(f"{served.url}/health/liveness") == 503, 30, "liveness DOWN")
    assert _status(f"{served.url}/health/readiness") == 503
    group = group_id(deployed.kafka.topic_prefix, "executor")
    topic = f"{deployed.kafka.topic_prefix}execution-commands"

    def lag() -> float:
        return sum(_samples(served.url, "kestrel_consumer_lag", group=group, topic=topic))

    # One turn takes one command (batch size 1) and measures the four still waiting.
    executor.waiting.clear()
    executor.permits.release()
    wait_until(lambda: executor.waiting.is_set(), 30, "one turn of the loop")
    assert lag() == 4
    executor.open.set()
    wait_until(lambda: _status(f"{served.url}/health/liveness") == 200, 30, "liveness UP")
    watcher.wait_for(ids, ended, timeout=60)
    wait_until(lambda: lag() == 0, 30, "lag back to 0")
