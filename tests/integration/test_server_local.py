"""The README's first command: ``kestrel server local`` with its embedded backends."""

from __future__ import annotations

import os
import re
import urllib.request
from pathlib import Path

import pytest
import requests
from conftest import unavailable
from prometheus_client.parser import text_string_to_metric_families
from runtime_helpers import KestrelProcess

from orchestrator.backends import BackendError, noida_binary

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DONE = "Kestrel is running; press Ctrl-C to stop."


def _serve(data_dir: Path, log: Path) -> KestrelProcess:
    args = ["server", "local", "--data-dir", str(data_dir), "--deploy", str(EXAMPLES)]
    args += ["--management-port", "0"]  # 8081 may be taken on a shared machine
    # Its own settings only: nothing from a test run's KESTREL_* environment.
    env = {key: value for key, value in os.environ.items() if not key.startswith("KESTREL_")}
    env["KESTREL_WEBSERVER__PORT"] = "0"  # 8080 too
    return KestrelProcess([*args, "--run", "kestrel.examples.hello-world"], env, log).start()


def _check_health_and_metrics(output: str) -> None:
    """The printed management URL answers: ready, and the demo's execution is counted."""
    found = re.search(r"Health and metrics on (http://\S+)", output)
    assert found is not None, output[-3000:]
    base = found.group(1)
    with urllib.request.urlopen(f"{base}/health/readiness", timeout=10) as response:
        assert response.status == 200
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        text = response.read().decode()
    ended = [
        sample
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "kestrel_executor_execution_end_count_total"
        and sample.labels.get("flow_id") == "hello-world"
        and sample.labels.get("state") == "SUCCESS"
    ]
    assert ended and ended[0].value >= 1, text[-3000:]


def _check_api(output: str, data_dir: Path, *, shown: bool) -> None:
    """The API's URL is printed; the admin's password once, then where it is kept."""
    url = re.search(r"The API listens on (http://\S+)", output)
    assert url is not None, output[-3000:]
    password = (data_dir / "admin.password").read_text().strip()
    if shown:
        assert f"API user: admin, password: {password} (shown once)" in output
    else:
        assert password not in output and "API user: admin, password in" in output
    answer = requests.get(
        f"{url.group(1)}/api/v1/main/flows/distinct-namespaces",
        auth=("admin", password),
        timeout=30,
    )
    assert answer.json() == ["kestrel.examples"]
    assert requests.get(f"{url.group(1)}/api/v1/main/flows/search", timeout=30).status_code == 401


def test_server_local_runs_the_demo_and_again_after_a_restart(tmp_path: Path) -> None:
    try:
        noida_binary()
    except BackendError as exc:
        unavailable(str(exc))
    data_dir = tmp_path / "data"
    for start in ("first", "second"):  # the second start finds the first one's state
        server = _serve(data_dir, tmp_path / f"{start}.log")
        try:
            output = server.wait_for_output(DONE)
            _check_health_and_metrics(output)
            _check_api(output, data_dir, shown=start == "first")
        finally:
            exit_code = server.terminate(timeout=60)
        assert "ended SUCCESS" in output
        assert "Hello, Kestrel!" in output
        assert "Traceback" not in output
        assert "elastic_transport" not in output  # no line per HTTP request
        assert exit_code == 0, server.output()[-3000:]
    assert (data_dir / "secret.key").exists()
