"""Flows through the Kafka runtime (`kestrel server standalone`) give what `flow test` gives."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from kestra_conformance import KESTRA_FLOWS, case_id, expectations, mismatches
from runtime_helpers import (
    KESTREL,
    KestrelProcess,
    SnapshotWatcher,
    ended,
    service_env,
    standalone_server,
    submit,
)

from orchestrator.cli.deploy import deploy_files
from orchestrator.cli.main import cli
from orchestrator.models.execution import new_id
from orchestrator.models.messages import CreateExecution
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def standalone(settings: KestrelSettings, tmp_path: Path) -> Iterator[KestrelProcess]:
    with standalone_server(settings, tmp_path) as process:
        yield process


def test_examples_run_on_kafka_as_with_flow_test(
    settings: KestrelSettings, standalone: KestrelProcess
) -> None:
    deploy_files(settings, [EXAMPLES])
    env = service_env(settings)
    for example in sorted(EXAMPLES.glob("*.yaml")):
        local = CliRunner().invoke(cli, ["flow", "test", str(example), "--json"])
        expected = json.loads(local.stdout)
        result = subprocess.run(
            [
                str(KESTREL),
                "execution",
                "run",
                expected["namespace"],
                expected["flowId"],
                "--wait",
                "--json",
                "--timeout",
                "60",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        assert result.returncode == local.exit_code, (
            example,
            result.stderr,
            standalone.output()[-2000:],
        )
        remote = json.loads(result.stdout)
        assert remote["state"]["current"] == expected["state"]["current"], example
        assert _runs(remote) == _runs(expected), example
        assert remote.get("outputs") == expected.get("outputs"), example


def _runs(execution: dict[str, object]) -> list[tuple[str, str | None, str, int]]:
    runs = execution["taskRunList"]
    assert isinstance(runs, list)
    return sorted(
        (run["taskId"], run.get("value"), run["state"]["current"], len(run.get("attempts", [])))
        for run in runs
    )


CASES = expectations()


@pytest.mark.skipif(not CASES, reason="../shared/kestra-flows is not beside the checkout")
def test_kestra_expectations_through_the_runtime(
    settings: KestrelSettings, standalone: KestrelProcess
) -> None:
    deploy_files(settings, [KESTRA_FLOWS])
    watcher = SnapshotWatcher(settings)
    ids: list[str] = []
    finished = {}
    try:
        # Runs bounded by a time budget from their creation (maxDuration, SLA) go last, on
        # an idle server, as in Kestra's tests; the rest run all at once.
        for batch in (_untimed(CASES), _timed(CASES)):
            creates = [
                CreateExecution(
                    execution_id=new_id(),
                    namespace=case["namespace"],
                    flow_id=case["id"],
                    inputs=case["inputs"] or None,
                )
                for case in batch
            ]
            batch_ids = submit(settings, creates)
            finished.update(watcher.wait_for(batch_ids, ended, timeout=120))
            ids += batch_ids
        chains = {each: [ex.state.current.value for ex in watcher.chain(each)] for each in ids}
    finally:
        watcher.close()
    ordered = _untimed(CASES) + _timed(CASES)
    failures = {}
    for case, execution_id in zip(ordered, ids, strict=True):
        problems = mismatches(case, finished[execution_id].to_json_dict())
        retried = str(case["file"]).startswith("retry-new-execution")
        if retried and chains[execution_id] != ["RETRIED", "RETRIED", "FAILED"]:
            problems.append(f"executions ended {chains[execution_id]}")
        if problems:
            failures[case_id(case)] = problems
    assert failures == {}, standalone.output()[-2000:]


def _timed(cases: list[dict[str, object]]) -> list[dict[str, object]]:
    return [case for case in cases if "duration" in str(case["file"])]


def _untimed(cases: list[dict[str, object]]) -> list[dict[str, object]]:
    return [case for case in cases if "duration" not in str(case["file"])]
