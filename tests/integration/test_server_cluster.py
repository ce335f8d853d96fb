"""``kestrel server cluster``: every service in its own process runs the README's examples."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from runtime_helpers import KESTREL, KestrelProcess, service_env

from orchestrator.cli.deploy import deploy_files
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RUNNING = "The cluster is running"


def test_a_cluster_of_processes_runs_the_examples(
    deployed: KestrelSettings, tmp_path: Path
) -> None:
    env = service_env(deployed)
    args = ["server", "cluster", "--executors", "2", "--workers", "2", "--base-port", "0"]
    cluster = KestrelProcess(
        [*args, "--data-dir", str(tmp_path / "cluster")], env, tmp_path / "c.log"
    )
    cluster.start()
    try:
        output = cluster.wait_for_output(RUNNING)
        for name in ("executor-0", "executor-1", "worker-0", "worker-1", "indexer"):
            assert f"  {name} " in output
        deploy_files(deployed, [EXAMPLES])
        for flow_id in ("hello-world", "parallel", "foreach"):
            result = subprocess.run(
                [str(KESTREL), "execution", "run", "kestrel.examples", flow_id, "--wait"],
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
            )
            assert result.returncode == 0, result.stdout + result.stderr
            assert "SUCCESS" in result.stdout
    finally:
        exit_code = cluster.terminate(timeout=120)
    assert exit_code == 0, cluster.output()[-3000:]
    logs = tmp_path / "cluster" / "logs"
    assert sorted(path.stem for path in logs.glob("*.log")) == [
        "executor-0",
        "executor-1",
        "indexer",
        "worker-0",
        "worker-1",
    ]
    assert "Traceback" not in (logs / "executor-0.log").read_text()
