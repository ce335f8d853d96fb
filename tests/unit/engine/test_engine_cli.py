"""``kestrel flow test --json`` as a real process: stdout is only JSON, with Kestra's names."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from engine_harness import FLOWS

KESTREL = Path(sys.executable).parent / "kestrel"
FLOW = FLOWS / "cli.yaml"


def _flow_test(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KESTREL), "flow", "test", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _runs(execution: dict[str, Any], task_id: str) -> list[dict[str, Any]]:
    return [run for run in execution["taskRunList"] if run["taskId"] == task_id]


def test_a_successful_run_prints_the_execution_as_kestra_json_and_exits_0() -> None:
    done = _flow_test(str(FLOW), "--input", "count=2")

    assert done.returncode == 0, done.stderr
    execution = json.loads(done.stdout)  # nothing but the JSON on stdout
    assert execution["id"]
    assert (execution["namespace"], execution["flowId"]) == ("kestrel.tests", "cli")
    assert execution["state"]["current"] == "SUCCESS"
    assert execution["outputs"] == {"total": 4}
    assert [run["taskId"] for run in execution["taskRunList"]] == ["each", "item", "item", "check"]
    (each,) = _runs(execution, "each")
    items = _runs(execution, "item")
    assert [run["value"] for run in items] == ["a", "b"]
    assert [run["outputs"] for run in items] == [{"value": "a2"}, {"value": "b2"}]
    assert {run["parentTaskRunId"] for run in items} == {each["id"]}
    for run in items:
        assert run["state"]["current"] == "SUCCESS"
        assert [attempt["state"]["current"] for attempt in run["attempts"]] == ["SUCCESS"]
    assert "value" not in each
    assert "Return: a2" in done.stderr  # logs go to stderr


def test_a_failed_execution_exits_1_and_still_prints_json() -> None:
    done = _flow_test(str(FLOW), "--input", "count=-1")

    assert done.returncode == 1, done.stderr
    execution = json.loads(done.stdout)
    assert execution["state"]["current"] == "FAILED"
    (check,) = _runs(execution, "check")
    assert check["state"]["current"] == "FAILED"
    assert [attempt["state"]["current"] for attempt in check["attempts"]] == ["FAILED"]


def test_an_invalid_input_exits_2_without_running() -> None:
    done = _flow_test(str(FLOW), "--input", "count=abc")

    assert done.returncode == 2
    assert done.stdout == ""
    assert "count" in done.stderr


def test_an_invalid_flow_file_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "id: broken\nnamespace: kestrel.tests\ntasks:\n"
        "  - id: t\n    type: io.kestra.plugin.core.log.Nope\n"
    )

    done = _flow_test(str(broken))

    assert done.returncode == 2
    assert done.stdout == ""
    assert f"{broken}:5:" in done.stderr
