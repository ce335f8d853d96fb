"""`kestrel flow validate`: every problem as `file:line:col: message`, never a traceback."""

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestrator.cli.main import cli
from orchestrator.flows import FlowValidationError, parse_flow, validate_source

ROOT = Path(__file__).resolve().parents[2]
INVALID = ROOT / "tests" / "flows" / "invalid"
EXAMPLES = ROOT / "examples"
KESTRA_FLOWS = ROOT.parent / "shared" / "kestra-flows"

# file -> (line, column, words the message must contain)
EXPECTED = {
    "unknown-task-type.yaml": (
        5,
        11,
        "task 'hello': unknown task type 'io.kestra.plugin.core.log.Logg'; "
        "did you mean 'io.kestra.plugin.core.log.Log'?",
    ),
    "duplicate-task-id.yaml": (10, 13, "duplicate task id 'step' (first used on line 4)"),
    "missing-property.yaml": (4, 5, "task 'log': missing required property 'message'"),
    "wrong-type.yaml": (6, 17, "task 'fan-out': property 'concurrent': Input should be"),
    "bad-template.yaml": (6, 14, "task 'greet': property 'message': invalid template"),
    "unknown-input-type.yaml": (5, 11, "input 'name': unknown type 'STRIN'"),
    "bad-cron.yaml": (10, 11, "trigger 'nightly': property 'cron'"),
    "invalid-yaml.yaml": (6, 14, "invalid YAML: the [ list opened here is never closed"),
    "unknown-property.yaml": (6, 5, "unknown property 'mesage'; did you mean 'message'?"),
    "dag-cycle.yaml": (4, 5, "dependency cycle"),
    "missing-namespace.yaml": (1, 1, "missing required property 'namespace'"),
    "duplicate-key.yaml": (7, 5, "duplicate key 'message'"),
}


def test_every_invalid_flow_has_an_expectation() -> None:
    assert sorted(path.name for path in INVALID.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_problem_is_reported_at_its_line_and_column(name: str) -> None:
    line, column, words = EXPECTED[name]
    path = INVALID / name
    problems = validate_source(path.read_text(), str(path))
    rendered = [str(problem) for problem in problems]
    expected_prefix = f"{path}:{line}:{column}: "
    assert any(text.startswith(expected_prefix) and words in text for text in rendered), rendered


def test_bad_cron_message_names_the_expression() -> None:
    problems = validate_source((INVALID / "bad-cron.yaml").read_text(), "f.yaml")
    assert any("invalid cron expression '61 25 * * *'" in str(p) for p in problems)


def test_parse_flow_raises_with_all_problems() -> None:
    source = "id: x\nnamespace: n\ntasks:\n  - id: a\n    type: Nope\n  - id: a\n    type: Nope\n"
    with pytest.raises(FlowValidationError) as info:
        parse_flow(source, "f.yaml")
    messages = [problem.message for problem in info.value.problems]
    assert len(messages) == 3 and any("duplicate task id 'a'" in m for m in messages)


@pytest.mark.parametrize(
    "source",
    ["", "- just\n- a list\n", "id: [\n", "\t\tbad indentation: x\n"],
    ids=["empty", "list", "unclosed", "tabs"],
)
def test_not_a_flow_at_all_is_one_clear_problem(source: str) -> None:
    problems = validate_source(source, "f.yaml")
    assert problems and all(str(p).startswith("f.yaml:") for p in problems)


def test_examples_are_valid() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        assert validate_source(path.read_text(), str(path)) == [], path


@pytest.mark.skipif(
    not KESTRA_FLOWS.is_dir(), reason="../shared/kestra-flows not beside the checkout"
)
def test_kestra_core_flows_are_valid() -> None:
    paths = sorted([*KESTRA_FLOWS.glob("*.yaml"), *KESTRA_FLOWS.glob("*.yml")])
    assert len(paths) > 100
    problems = [p for path in paths for p in validate_source(path.read_text(), str(path))]
    # Kestra's BadFlowableTest flow holds a template Pebble cannot parse, on purpose: its run
    # must end FAILED. `validate` reports it; loading it to run (parse_flow) accepts it.
    assert [(Path(p.file).name, p.line) for p in problems] == [
        ("flowable-with-parent-fail.yaml", 17)
    ]
    assert "task 'if': property 'condition': invalid template" in problems[0].message
    bad = KESTRA_FLOWS / "flowable-with-parent-fail.yaml"
    assert parse_flow(bad.read_text(), str(bad)).id == "flowable-with-parent-fail"


def test_cli_exit_codes_and_streams() -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["flow", "validate", str(EXAMPLES)])
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.count(": valid") == len(list(EXAMPLES.glob("*.yaml")))
    bad = runner.invoke(cli, ["flow", "validate", str(INVALID / "unknown-task-type.yaml")])
    assert bad.exit_code == 1
    assert "unknown-task-type.yaml:5:11: " in bad.stderr
    assert "Traceback" not in bad.output


def test_cli_missing_path_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["flow", "validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "cannot read" in result.stderr and "Traceback" not in result.output


def test_console_script_validates_the_invalid_folder() -> None:
    kestrel = Path(sys.executable).parent / "kestrel"
    result = subprocess.run(
        [str(kestrel), "flow", "validate", str(INVALID)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith(str(INVALID))]
    assert len({line.split(":")[0] for line in lines}) == len(EXPECTED)
    assert "Traceback" not in result.stderr
