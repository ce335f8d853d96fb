"""The HTTP polling trigger through the real broker, against a real local HTTP server."""

from __future__ import annotations

from pathlib import Path

import pytest
from http_fixture import status_server
from runtime_helpers import Cluster
from scheduler_helpers import FiredWatcher, write_flow

from orchestrator.cli.deploy import deploy_files
from orchestrator.kafka import ensure_topics
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration

POLLED = """id: polled
namespace: tests.polling
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.body }}}}"
triggers:
  - id: status
    type: io.kestra.plugin.core.http.Trigger
    uri: {url}
    interval: PT0.2S
    responseCondition: "{{{{ json(response.body).ready == true }}}}"
"""


def test_http_trigger_starts_executions_once_the_endpoint_is_ready(
    settings: KestrelSettings, tmp_path: Path
) -> None:
    ensure_topics(settings)
    cluster = Cluster(settings, tmp_path)
    fired = FiredWatcher(settings)
    try:
        with status_server(not_ready=3) as server:
            write_flow(tmp_path / "flows", "polled", POLLED.format(url=server.url))
            deploy_files(settings, [tmp_path / "flows"])
            cluster.start("executor", "executor-0")
            cluster.start("worker", "worker-0")
            cluster.start("scheduler", "scheduler-0")
            fired.wait(lambda: len(fired.fired("polled")) >= 2, 60, "two polled executions")
            requests = server.requests
        creates = fired.fired("polled")
        assert requests >= 5  # three not ready, then one per firing at least
        first = creates[0].trigger
        assert first is not None and first.variables["code"] == 200
        assert '"n": 4' in first.variables["body"]  # the first ready answer
    finally:
        fired.close()
        cluster.stop()
