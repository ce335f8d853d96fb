"""What a script task's process sees of the worker: a clean environment, masked secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.models.execution import TaskRun
from orchestrator.models.messages import LogEntry, WorkerTask
from orchestrator.models.state import StateType
from orchestrator.plugin import MASK
from orchestrator.storage import LocalStorage
from orchestrator.templating import TemplateRenderer
from worker.runner import run_task

SECRET = "s3cr3t-Value-42"


def _worker_task(definition: dict[str, Any]) -> WorkerTask:
    task = {"id": "shell", "type": "io.kestra.plugin.scripts.shell.Commands", **definition}
    run = TaskRun(id="run1", execution_id="exec1", namespace="n", flow_id="f", task_id="shell")
    return WorkerTask(task_run=run, attempt=1, task=task, flow_revision=1)


def _run(definition: dict[str, Any], tmp_path: Path) -> tuple[StateType, list[LogEntry], Any]:
    logs: list[LogEntry] = []
    renderer = TemplateRenderer(secret_provider={"TOKEN": SECRET}.get)
    storage = LocalStorage(tmp_path / "storage")
    result = run_task(_worker_task(definition), renderer, logs.append, "w1", storage=storage)
    return result.state, logs, result


@pytest.fixture
def worker_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a worker process typically holds: its settings, credentials and secrets."""
    monkeypatch.setenv("KESTREL_SECURITY__SECRET_KEY", "the-cluster-key")
    monkeypatch.setenv("KESTREL_KAFKA__SASL_PASSWORD", "kafka-password")
    monkeypatch.setenv("KESTREL_ELASTICSEARCH__PASSWORD", "es-password")
    monkeypatch.setenv("SECRET_TOKEN", SECRET)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-key")
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("TZ", "Europe/Paris")


@pytest.mark.usefixtures("worker_environment")
def test_a_task_process_gets_a_clean_environment_plus_its_env(tmp_path: Path) -> None:
    state, logs, _ = _run({"env": {"GREETING": "hello"}, "commands": ["env"]}, tmp_path)
    assert state is StateType.SUCCESS
    seen = dict(line.message.split("=", 1) for line in logs if "=" in line.message)
    names = set(seen)
    assert not {name for name in names if name.startswith(("KESTREL_", "SECRET_"))}
    assert "AWS_SECRET_ACCESS_KEY" not in names
    assert not any(value in line.message for line in logs for value in ("password", SECRET))
    assert seen["GREETING"] == "hello"
    assert seen["LANG"] == "C.UTF-8" and seen["TZ"] == "Europe/Paris"
    assert "PATH" in names and "HOME" in names and "WORKING_DIR" in names
    assert names <= {"PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ"} | {
        "GREETING",
        "WORKING_DIR",
        "PWD",  # set by the shell itself
        "SHLVL",
        "_",
        "OLDPWD",
    }


def test_commands_find_programs_without_any_path_in_the_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PATH", raising=False)
    state, logs, _ = _run({"commands": ["ls -d / && echo found"]}, tmp_path)
    assert state is StateType.SUCCESS, [line.message for line in logs]
    assert "found" in [line.message for line in logs]


@pytest.mark.usefixtures("worker_environment")
def test_a_secret_given_through_env_is_masked_on_stdout_and_stderr(tmp_path: Path) -> None:
    definition = {
        "env": {"TOKEN": "{{ secret('TOKEN') }}"},
        "commands": [
            'echo "out $TOKEN"',
            'echo "err $TOKEN" >&2',
            "echo 'inline {{ secret(\"TOKEN\") }}'",
        ],
    }
    state, logs, _ = _run(definition, tmp_path)
    assert state is StateType.SUCCESS
    messages = [line.message for line in logs]
    assert not [message for message in messages if SECRET in message]
    assert {f"out {MASK}", f"err {MASK}", f"inline {MASK}"} <= set(messages)


def test_a_secret_is_masked_in_the_failure_reported(tmp_path: Path) -> None:
    # The reason travels in the result to Kafka, the execution and Elasticsearch.
    definition = {"interpreter": ["/nonexistent/{{ secret('TOKEN') }}", "-c"], "commands": ["true"]}
    state, logs, result = _run(definition, tmp_path)
    assert state is StateType.FAILED
    assert result.failure is not None and SECRET not in result.failure.message
    assert MASK in result.failure.message
    assert not [line.message for line in logs if SECRET in line.message]
