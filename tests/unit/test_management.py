"""Health probes judged with an injected clock, and the management server over real HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from orchestrator.management import Health, ManagementError, ManagementServer
from orchestrator.management.lag import ConsumerLagCollector, PartitionLag
from orchestrator.settings import ManagementSettings


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_probe_is_alive_until_its_loop_stops_turning() -> None:
    clock = FakeClock()
    health = Health(stalled_after=10, clock=clock)
    probe = health.probe("executor")
    clock.now += 9
    assert health.alive()
    probe.beat()
    clock.now += 9
    assert health.alive()  # the beat reset the count
    clock.now += 2
    assert not health.alive()
    [status] = health.statuses()
    assert status.detail == "loop stuck for 11 s"


def test_ready_only_when_every_service_is_ready_and_alive() -> None:
    clock = FakeClock()
    health = Health(stalled_after=10, clock=clock)
    assert not health.ready()  # nothing runs yet
    executor, worker = health.probe("executor"), health.probe("worker")
    executor.ready()
    assert not health.ready()  # the worker is still starting
    worker.ready()
    assert health.ready()
    worker.ready("Elasticsearch unavailable")
    assert not health.ready()
    worker.ready()
    clock.now += 11
    executor.beat()
    assert not health.ready()  # the worker's loop is stuck: not ready either


def test_a_stopped_service_is_alive_but_not_ready() -> None:
    clock = FakeClock()
    health = Health(stalled_after=1, clock=clock)
    probe = health.probe("indexer")
    probe.ready()
    probe.stopped()
    clock.now += 100
    assert health.alive()
    assert not health.ready()


def test_two_services_of_one_kind_get_distinct_names() -> None:
    health = Health()
    assert [health.probe("worker").name, health.probe("worker").name] == ["worker", "worker-2"]


def test_lag_of_consumers_of_one_group_is_summed_per_partition() -> None:
    class Source:
        def __init__(self, lags: list[PartitionLag]) -> None:
            self.lags = lags

        def lag(self) -> list[PartitionLag]:
            return self.lags

    collector = ConsumerLagCollector()
    first = Source([PartitionLag("g", "t", 0, 3), PartitionLag("g", "t", 1, 1)])
    second = Source([PartitionLag("g", "t", 0, 2)])
    collector.register(first)
    collector.register(second)
    [family] = list(collector.collect())
    samples = {sample.labels["partition"]: sample.value for sample in family.samples}
    assert samples == {"0": 5, "1": 1}
    collector.unregister(second)
    [family] = list(collector.collect())
    assert {s.labels["partition"]: s.value for s in family.samples} == {"0": 3, "1": 1}


@pytest.fixture
def served() -> Iterator[tuple[ManagementServer, Health, FakeClock]]:
    clock = FakeClock()
    health = Health(stalled_after=5, clock=clock)
    server = ManagementServer(ManagementSettings(port=0), health)
    server.start()
    yield server, health, clock
    server.stop()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_server_answers_probes_as_health_says(
    served: tuple[ManagementServer, Health, FakeClock],
) -> None:
    server, health, clock = served
    probe = health.probe("executor")
    assert _get(f"{server.url}/health/liveness")[0] == 200
    assert _get(f"{server.url}/health/readiness") == (503, b'{"status": "DOWN"}')
    probe.ready()
    assert _get(f"{server.url}/health/readiness") == (200, b'{"status": "UP"}')
    clock.now += 6
    assert _get(f"{server.url}/health/liveness")[0] == 503
    status, body = _get(f"{server.url}/health")
    assert status == 503
    assert json.loads(body)["services"][0]["detail"] == "loop stuck for 6 s"


def test_metrics_parse_and_unknown_paths_are_json_404(
    served: tuple[ManagementServer, Health, FakeClock],
) -> None:
    server, _, _ = served
    status, body = _get(f"{server.url}/metrics")
    assert status == 200
    names = {family.name for family in text_string_to_metric_families(body.decode())}
    assert {"kestrel_worker_thread", "kestrel_consumer_lag", "kestrel_executor_batch_size"} <= names
    status, body = _get(f"{server.url}/nope")
    assert status == 404
    assert "no such path" in json.loads(body)["message"]


def test_a_port_in_use_is_a_clear_error(
    served: tuple[ManagementServer, Health, FakeClock],
) -> None:
    server, health, _ = served
    with pytest.raises(ManagementError, match="KESTREL_MANAGEMENT__PORT"):
        ManagementServer(ManagementSettings(port=server.port), health)
