"""`flow test` and `execution run` refuse an input the flow does not declare."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestrator.cli.main import cli
from orchestrator.flows import load_flow_file

ROOT = Path(__file__).resolve().parents[2]
HELLO = ROOT / "examples" / "hello-world.yaml"
README = ROOT / "README.md"


def test_unknown_input_is_refused_with_the_declared_names() -> None:
    result = CliRunner().invoke(cli, ["flow", "test", str(HELLO), "--input", "bogus=1"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: unknown input 'bogus'; the flow declares: user"


def test_the_readme_command_runs() -> None:
    result = CliRunner().invoke(cli, ["flow", "test", str(HELLO), "--input", "user=Ada"])
    assert result.exit_code == 0, result.output
    assert "Hello Ada from hello-world" in result.stdout


def test_the_readme_first_flow_is_examples_hello_world() -> None:
    text = README.read_text()
    start = text.index("## A first flow")
    block = text[text.index("```yaml\n", start) + len("```yaml\n") :]
    block = block[: block.index("```")]
    assert block == HELLO.read_text()


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (None, None),
        ({"user": "x"}, None),
        ({"nope": "x"}, "unknown input 'nope'; the flow declares: user"),
    ],
)
def test_undeclared_input(inputs: dict[str, str] | None, expected: str | None) -> None:
    from orchestrator.cli.testrun import undeclared_input

    assert undeclared_input(load_flow_file(HELLO), inputs) == expected


def test_a_flow_without_inputs_says_so(tmp_path: Path) -> None:
    flow = tmp_path / "f.yaml"
    task = "  - id: r\n    type: kestrel.core.debug.Return\n    format: x\n"
    flow.write_text("id: f\nnamespace: n\ntasks:\n" + task)
    result = CliRunner().invoke(cli, ["flow", "test", str(flow), "--input", "a=1"])
    assert result.exit_code == 2
    assert "unknown input 'a'; the flow declares no inputs" in result.stderr
