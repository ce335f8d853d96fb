"""Every run of ../shared/kestra-flows/expectations.json through `kestrel flow test --json`."""

import json
from typing import Any

import pytest
from click.testing import CliRunner
from kestra_conformance import KESTRA_FLOWS, case_id, expectations, mismatches

from orchestrator.cli.main import cli

CASES = expectations()


@pytest.mark.skipif(not CASES, reason="../shared/kestra-flows is not beside the checkout")
@pytest.mark.parametrize("expectation", CASES, ids=[case_id(case) for case in CASES])
def test_flow_test_gives_what_kestra_asserts(expectation: dict[str, Any]) -> None:
    args = ["flow", "test", str(KESTRA_FLOWS / expectation["file"]), "--json"]
    args += ["--flows-dir", str(KESTRA_FLOWS), "--timeout", "60"]
    for key, value in expectation["inputs"].items():
        args += ["--input", f"{key}={value}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    execution = json.loads(result.stdout)
    assert execution["namespace"] == expectation["namespace"]
    assert execution["flowId"] == expectation["id"]
    assert mismatches(expectation, execution) == []
    expected_exit = 0 if execution["state"]["current"] in ("SUCCESS", "WARNING") else 1
    assert result.exit_code == expected_exit
