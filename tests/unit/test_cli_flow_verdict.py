"""One verdict per flow file for `flow validate`, `flow deploy` and `flow test`.

The rule: a template that does not parse is a warning, printed by all three as
``file:line:col: warning: ...``; it blocks neither a deploy nor a run (the task fails when
it runs, naming the property); `flow validate --strict` makes it an error.
"""

from pathlib import Path

from click.testing import CliRunner

from orchestrator.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
BAD_TEMPLATE = ROOT / "tests" / "flows" / "invalid" / "bad-template.yaml"
UNKNOWN_TYPE = ROOT / "tests" / "flows" / "invalid" / "unknown-task-type.yaml"
WARNING = f"{BAD_TEMPLATE}:6:14: warning: task 'greet': property 'message': invalid template"


def test_validate_prints_the_warning_and_accepts_the_flow() -> None:
    result = CliRunner().invoke(cli, ["flow", "validate", str(BAD_TEMPLATE)])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(WARNING)
    assert f"{BAD_TEMPLATE}: valid (1 warning(s))" in result.stdout


def test_validate_strict_rejects_the_flow() -> None:
    result = CliRunner().invoke(cli, ["flow", "validate", "--strict", str(BAD_TEMPLATE)])
    assert result.exit_code == 1
    assert result.stderr.startswith(WARNING)


def test_flow_test_prints_the_warning_and_the_task_fails_at_run_time() -> None:
    result = CliRunner().invoke(cli, ["flow", "test", str(BAD_TEMPLATE)])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(WARNING)
    assert "task 'greet', property 'message': syntax error" in result.stdout
    assert "ended FAILED" in result.stdout


def test_deploy_checks_as_validate_does() -> None:
    from orchestrator.cli.deploy import check_files

    warnings: list[str] = []
    flows = check_files([BAD_TEMPLATE], warn=warnings.append)
    assert [flow.id for _, flow in flows.values()] == ["bad-template"]
    assert len(warnings) == 1 and warnings[0].startswith(WARNING)


def test_deploy_of_an_invalid_flow_publishes_nothing_and_says_where() -> None:
    # The validation comes before any broker is contacted: no broker is needed to fail.
    result = CliRunner().invoke(
        cli, ["flow", "deploy", str(UNKNOWN_TYPE)], env={"KESTREL_KAFKA_BOOTSTRAP": "127.0.0.1:9"}
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{UNKNOWN_TYPE}:5:11: task 'hello': unknown task type")
