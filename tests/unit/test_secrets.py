import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestrator.cli.main import cli
from orchestrator.flows import load_flow_file
from orchestrator.local import FileFlows, InProcessRunner
from orchestrator.models.execution import new_id
from orchestrator.models.messages import CreateExecution, LogEntry
from orchestrator.secrets import PREFIX, SecretCodec, SecretError, is_encrypted
from orchestrator.templating import TemplateRenderer

FLOW = Path(__file__).resolve().parents[1] / "flows" / "runtime" / "secret-input.yaml"
CLEAR = "s3cr3t-t0ken-value"


def test_codec_round_trip_and_wrong_key() -> None:
    codec = SecretCodec(SecretCodec.new_key())
    token = codec.encrypt(CLEAR)
    assert token.startswith(PREFIX) and CLEAR not in token and is_encrypted(token)
    assert codec.encrypt(token) == token  # never encrypted twice
    assert codec.decrypt(token) == CLEAR
    with pytest.raises(SecretError, match="same on every"):
        SecretCodec(SecretCodec.new_key()).decrypt(token)


def test_reveal_decrypts_nested_inputs_only() -> None:
    codec = SecretCodec(SecretCodec.new_key())
    variables = {"inputs": {"a": codec.encrypt("x"), "n": {"b": codec.encrypt("y")}}, "vars": {}}
    clear, revealed = codec.reveal(variables)
    assert clear["inputs"] == {"a": "x", "n": {"b": "y"}} and revealed == {"x", "y"}
    assert is_encrypted(variables["inputs"]["a"])  # the original is untouched


def test_secret_inputs_are_encrypted_in_state_and_masked_in_logs() -> None:
    logs: list[LogEntry] = []
    runner = InProcessRunner(FileFlows([load_flow_file(FLOW)]), TemplateRenderer(), logs.append)
    create = CreateExecution(
        execution_id=new_id(),
        namespace="kestrel.crash",
        flow_id="secret-input",
        inputs={"token": CLEAR},
    )
    execution = runner.run(create, timeout=30)
    assert execution.state.current.value == "SUCCESS"
    assert CLEAR not in json.dumps(execution.to_json_dict())
    assert is_encrypted(execution.inputs["token"])
    messages = [entry.message for entry in logs]
    assert "calling the API with ********" in messages
    assert not any(CLEAR in message for message in messages)
    echo = next(run for run in execution.task_run_list if run.task_id == "echo")
    assert echo.outputs == {"value": "token=********"}


def test_flow_test_json_never_shows_a_secret_input() -> None:
    result = CliRunner().invoke(cli, ["flow", "test", str(FLOW), "--json", "-i", f"token={CLEAR}"])
    assert result.exit_code == 0, result.output
    assert CLEAR not in result.output
