import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from orchestrator.cli.main import cli
from orchestrator.models import Flow
from orchestrator.models.execution import TaskRun
from orchestrator.models.messages import LogEntry, WorkerTask
from orchestrator.models.state import StateType
from orchestrator.plugin import LogLevel, RunContext, TaskFailedError
from orchestrator.storage import LocalStorage
from orchestrator.tasks.base import TASK_TYPES, RunnableTask
from orchestrator.templating import TemplateRenderer
from plugins.scripts import Bash, CommandFailedError, Commands, Script
from plugins.scripts.process import group_alive
from worker.runner import run_task

ROOT = Path(__file__).resolve().parents[2]
WAIT = 10.0


class Logs:
    """A log sink that records entries and lets a test wait for one."""

    def __init__(self, on_entry: Callable[[LogEntry], None] | None = None) -> None:
        self.entries: list[LogEntry] = []
        self._on_entry = on_entry
        self._changed = threading.Condition()

    def __call__(self, entry: LogEntry) -> None:
        with self._changed:
            self.entries.append(entry)
            self._changed.notify_all()
        if self._on_entry is not None:
            self._on_entry(entry)

    def lines(self, level: LogLevel | None = None) -> list[str]:
        return [e.message for e in self.entries if level is None or e.level is level]

    def wait_for(self, prefix: str, timeout: float = WAIT) -> str:
        with self._changed:
            found = self._changed.wait_for(
                lambda: next((m for m in self.lines() if m.startswith(prefix)), None), timeout
            )
        assert found, f"no log line starting with {prefix!r} within {timeout}s: {self.lines()}"
        return found


def task_of(definition: dict[str, Any]) -> RunnableTask:
    body = {"id": "shell", "type": "io.kestra.plugin.scripts.shell.Commands", **definition}
    task = TASK_TYPES.resolve(str(body["type"])).model_validate(body)
    assert isinstance(task, RunnableTask)
    return task


def context(
    task: RunnableTask,
    tmp_path: Path,
    logs: Logs | None = None,
    variables: dict[str, Any] | None = None,
) -> RunContext:
    run = TaskRun(
        id="run1", execution_id="exec1", namespace="company.team", flow_id="flow", task_id=task.id
    )
    return RunContext(
        task=task,
        task_run=run,
        attempt=1,
        variables=variables or {},
        renderer=TemplateRenderer(),
        log_sink=logs if logs is not None else Logs(),
        storage=LocalStorage(tmp_path / "storage"),
        working_dir=tmp_path / "work",
    )


def run(
    definition: dict[str, Any], tmp_path: Path, logs: Logs | None = None, **variables: Any
) -> dict[str, Any]:
    task = task_of(definition)
    outputs = task.run(context(task, tmp_path, logs, variables))
    assert outputs is not None
    return outputs


def wait_until_gone(pgid: int, timeout: float = WAIT) -> None:
    """Wait until no process (not even a zombie) is left in process group ``pgid``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        # Zombies wait for PID 1 to reap them, which this test does not control.
        assert time.monotonic() < deadline, f"process group {pgid} still exists"
        time.sleep(0.05)


def run_in_thread(
    task: RunnableTask, ctx: RunContext
) -> tuple[threading.Thread, dict[str, BaseException]]:
    """Start ``task.run(ctx)`` in a thread; the dict receives what it raised as ``error``."""
    outcome: dict[str, BaseException] = {}

    def body() -> None:
        try:
            task.run(ctx)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=body)
    thread.start()
    return thread, outcome


# ---- registration -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("kestrel.plugins.scripts.shell.Commands", Commands),
        ("io.kestra.plugin.scripts.shell.Commands", Commands),
        ("kestrel.plugins.scripts.shell.Script", Script),
        ("io.kestra.plugin.scripts.shell.Script", Script),
        ("kestrel.plugins.scripts.shell.Bash", Bash),
        ("io.kestra.core.tasks.scripts.Bash", Bash),
    ],
)
def test_names_resolve_through_entry_points(name: str, expected: type) -> None:
    assert TASK_TYPES.resolve(name) is expected


def test_a_flow_with_shell_tasks_validates() -> None:
    flow = Flow.model_validate(
        {
            "id": "f",
            "namespace": "ns",
            "tasks": [
                {"id": "a", "type": "io.kestra.plugin.scripts.shell.Commands", "commands": ["ls"]},
                {"id": "b", "type": "io.kestra.plugin.scripts.shell.Script", "script": "ls"},
                {"id": "c", "type": "io.kestra.core.tasks.scripts.Bash", "commands": ["ls"]},
            ],
        }
    )
    assert [type(task) for task in flow.tasks] == [Commands, Script, Bash]


def test_process_and_docker_task_runners_are_accepted_others_refused() -> None:
    process = {"type": "io.kestra.plugin.core.runner.Process"}
    assert task_of({"commands": ["ls"], "taskRunner": process})
    docker = {"type": "io.kestra.plugin.scripts.runner.docker.Docker", "pullPolicy": "ALWAYS"}
    assert task_of({"commands": ["ls"], "taskRunner": docker})
    batch = {"type": "io.kestra.plugin.ee.aws.runner.Batch"}
    with pytest.raises(ValidationError, match="not supported"):
        task_of({"commands": ["ls"], "taskRunner": batch})
    with pytest.raises(ValidationError, match="bogus"):
        task_of({"commands": ["ls"], "taskRunner": {**docker, "bogus": 1}})


# ---- outputs, environment, files --------------------------------------------------------


def test_outputs_vars_and_exit_code(tmp_path: Path) -> None:
    logs = Logs()
    outputs = run(
        {
            "commands": [
                'echo \'::{"outputs":{"test":"value","int":2,"bool":true}}::\'',
                "echo plain",
                'echo \'::{"outputs":{"float":3.65}}::\' >&2',
                'echo \'::{"outputs":{"int":3}}::\'',
                'echo \'::{"metrics":[{"name":"count","type":"counter","value":1}]}::\'',
            ]
        },
        tmp_path,
        logs,
    )
    assert outputs["exitCode"] == 0
    assert outputs["vars"] == {"test": "value", "int": 3, "bool": True, "float": 3.65}
    assert outputs["stdOutLineCount"] == 4
    assert outputs["stdErrLineCount"] == 1
    assert logs.lines(LogLevel.INFO) == ["plain"]
    assert logs.lines(LogLevel.WARN) == []
    assert any("Metric count (counter): 1" in m for m in logs.lines(LogLevel.DEBUG))


def test_log_messages_and_invalid_messages(tmp_path: Path) -> None:
    logs = Logs()
    run(
        {
            "commands": [
                'echo \'::{"logs":[{"level":"ERROR","message":"bad"},'
                '{"level":"DEBUG","message":"d"}]}::\'',
                "echo '::{not json}::'",
            ]
        },
        tmp_path,
        logs,
    )
    assert logs.lines(LogLevel.ERROR) == ["bad"]
    assert "d" in logs.lines(LogLevel.DEBUG)
    assert logs.lines(LogLevel.WARN)[0].startswith("Invalid message from the script")


def test_env_is_rendered_and_the_working_dir_is_set(tmp_path: Path) -> None:
    logs = Logs()
    run(
        {
            "env": {"NAME": "{{ inputs.name }}", "COUNT": 3, "FLAG": True},
            "commands": [
                'echo "name=$NAME count=$COUNT flag=$FLAG"',
                'test "$(pwd -P)" = "$(cd "$WORKING_DIR" && pwd -P)" && echo "cwd ok"',
                'echo "template dir {{ workingDir }}"',
                'echo "env dir $WORKING_DIR"',
            ],
        },
        tmp_path,
        logs,
        inputs={"name": "Ada"},
    )
    lines = logs.lines(LogLevel.INFO)
    assert lines[:2] == ["name=Ada count=3 flag=true", "cwd ok"]
    working_dir = lines[3].removeprefix("env dir ")
    assert lines[2] == f"template dir {working_dir}"
    assert Path(working_dir).parent == tmp_path / "work"
    assert not Path(working_dir).exists(), "the working directory is removed after the run"


def test_input_files_in_and_output_files_to_storage(tmp_path: Path) -> None:
    task = task_of(
        {
            "inputFiles": {"data/in.txt": "hello {{ inputs.who }}", "run.sh": "echo from file"},
            "commands": [
                "mkdir -p out/deep",
                "tr a-z A-Z < data/in.txt > out/upper.txt",
                "cp data/in.txt out/deep/copy.txt",
                "sh run.sh",
            ],
            "outputFiles": ["out/*.txt", "**/copy.txt", "nothing-*.csv"],
        }
    )
    logs = Logs()
    ctx = context(task, tmp_path, logs, {"inputs": {"who": "kestrel"}})
    outputs = task.run(ctx)
    assert outputs is not None
    prefix = "kestrel://company.team/flow/executions/exec1/tasks/shell/run1/"
    assert outputs["outputFiles"] == {
        "out/deep/copy.txt": prefix + "out/deep/copy.txt",
        "out/upper.txt": prefix + "out/upper.txt",
    }
    assert ctx.storage.get(outputs["outputFiles"]["out/upper.txt"]) == b"HELLO KESTREL"
    assert ctx.storage.get(outputs["outputFiles"]["out/deep/copy.txt"]) == b"hello kestrel"
    assert logs.lines(LogLevel.INFO) == ["from file"]


def test_input_file_from_storage(tmp_path: Path) -> None:
    task = task_of({"inputFiles": {"in.txt": "{{ inputs.file }}"}, "commands": ["cat in.txt"]})
    logs = Logs()
    ctx = context(task, tmp_path, logs)
    uri = ctx.storage.put("company.team/flow/executions/e0/inputs/file/in.txt", b"stored text")
    ctx = context(task, tmp_path, logs, {"inputs": {"file": uri}})
    task.run(ctx)
    assert logs.lines(LogLevel.INFO) == ["stored text"]


@pytest.mark.parametrize(
    "definition",
    [
        {"inputFiles": {"../escape.txt": "x"}, "commands": ["true"]},
        {"inputFiles": {"/tmp/escape.txt": "x"}, "commands": ["true"]},
        {"outputFiles": ["../*"], "commands": ["true"]},
        {"outputFiles": ["/etc/passwd"], "commands": ["true"]},
    ],
)
def test_files_outside_the_working_dir_are_refused(
    tmp_path: Path, definition: dict[str, Any]
) -> None:
    with pytest.raises(TaskFailedError, match="working directory") as error:
        run(definition, tmp_path)
    assert error.value.retryable is False
    assert not (tmp_path / "work" / "escape.txt").exists()


def test_script_task(tmp_path: Path) -> None:
    logs = Logs()
    outputs = run(
        {
            "type": "io.kestra.plugin.scripts.shell.Script",
            "beforeCommands": ["export PREFIX=got"],
            "script": 'greet() { echo "$PREFIX $1"; }\ngreet {{ inputs.n }}\ngreet two\n',
            "outputFiles": ["*"],
        },
        tmp_path,
        logs,
        inputs={"n": "one"},
    )
    assert logs.lines(LogLevel.INFO) == ["got one", "got two"]
    assert outputs["outputFiles"] == {}, "the script file itself is not an output"


def test_fail_fast(tmp_path: Path) -> None:
    logs = Logs()
    outputs = run({"failFast": False, "commands": ["false", "echo after"]}, tmp_path, logs)
    assert outputs["exitCode"] == 0
    assert logs.lines(LogLevel.INFO) == ["after"]
    with pytest.raises(CommandFailedError):
        run({"commands": ["false", "echo after"]}, tmp_path, Logs())


def test_warning_on_stderr(tmp_path: Path) -> None:
    task = task_of({"warningOnStdErr": True, "commands": ["echo oops >&2"]})
    ctx = context(task, tmp_path)
    task.run(ctx)
    assert ctx.warning is not None and "stderr" in ctx.warning
    quiet = task_of({"commands": ["echo oops >&2"]})
    ctx = context(quiet, tmp_path)
    quiet.run(ctx)
    assert ctx.warning is None


def test_legacy_bash_output_files(tmp_path: Path) -> None:
    task = task_of(
        {
            "type": "io.kestra.core.tasks.scripts.Bash",
            "outputFiles": ["first"],
            "commands": ["echo 1 >> {{ outputFiles.first }}", "echo done"],
        }
    )
    ctx = context(task, tmp_path)
    outputs = task.run(ctx)
    assert outputs is not None
    assert outputs["files"] == outputs["outputFiles"]
    assert outputs["outputFiles"]["first"].endswith("/tasks/shell/run1/first")
    assert ctx.storage.get(outputs["outputFiles"]["first"]) == b"1\n"
    assert ctx.warning is None


# ---- failures and logs ------------------------------------------------------------------


def test_failure_quotes_the_last_stderr_lines(tmp_path: Path) -> None:
    with pytest.raises(CommandFailedError) as error:
        run(
            {"commands": ['for i in $(seq 1 30); do echo "err $i" >&2; done', "exit 3"]},
            tmp_path,
        )
    message = str(error.value)
    assert message.startswith("Command failed with exit code 3")
    assert error.value.exit_code == 3
    assert error.value.stderr_tail == tuple(f"err {i}" for i in range(11, 31))
    assert message.endswith("\n".join(f"err {i}" for i in range(11, 31)))
    assert "err 10\n" not in message


def test_failure_through_the_runner_masks_and_types(tmp_path: Path) -> None:
    worker_task = _worker_task({"commands": ["echo broken >&2", "exit 2"]})
    result = run_task(worker_task, TemplateRenderer(), Logs(), "w1")
    assert result.state is StateType.FAILED
    assert result.failure is not None
    assert result.failure.error_type == "CommandFailed"
    assert "exit code 2" in result.failure.message and "broken" in result.failure.message


def test_log_lines_stream_in_order_with_levels(tmp_path: Path) -> None:
    go = tmp_path / "go"

    def release(entry: LogEntry) -> None:
        if entry.message == "waiting":
            go.touch()

    logs = Logs(release)
    # The command only goes on once the test saw "waiting": lines must arrive as written.
    wait_for_go = (
        'i=0; while [ ! -f "$GO" ]; do i=$((i+1)); [ $i -gt 400 ] && exit 9; sleep 0.025; done'
    )
    run(
        {
            "env": {"GO": str(go)},
            "commands": [
                "echo one",
                "echo two",
                "echo problem >&2",
                "echo waiting",
                wait_for_go,
                "echo three",
            ],
        },
        tmp_path,
        logs,
    )
    assert logs.lines(LogLevel.INFO) == ["one", "two", "waiting", "three"]
    assert logs.lines(LogLevel.WARN) == ["problem"]
    assert all(e.task_id == "shell" and e.attempt == 1 for e in logs.entries)


# ---- kill and timeout -------------------------------------------------------------------


def test_cancel_kills_the_whole_process_group(tmp_path: Path) -> None:
    logs = Logs()
    task = task_of({"commands": ["echo pgid $$", "sleep 30 & sleep 30"]})
    ctx = context(task, tmp_path, logs)
    started = time.monotonic()
    thread, outcome = run_in_thread(task, ctx)
    pgid = int(logs.wait_for("pgid ").split()[1])
    assert group_alive(pgid)
    ctx.cancelled.set()
    thread.join(WAIT)
    assert not thread.is_alive()
    assert time.monotonic() - started < WAIT
    error = outcome["error"]
    assert isinstance(error, TaskFailedError) and error.error_type == "Killed"
    assert not group_alive(pgid), "no live process is left when run() returns"
    wait_until_gone(pgid)
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)


def test_a_group_ignoring_sigterm_gets_sigkill_after_the_grace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Commands, "grace_seconds", 0.3)
    logs = Logs()
    # An ignored signal stays ignored in the children: the whole group shrugs off SIGTERM.
    task = task_of({"commands": ["trap '' TERM", "echo pgid $$", "sleep 30 & sleep 30"]})
    ctx = context(task, tmp_path, logs)
    thread, outcome = run_in_thread(task, ctx)
    pgid = int(logs.wait_for("pgid ").split()[1])
    ctx.cancelled.set()
    thread.join(WAIT)
    assert not thread.is_alive()
    assert isinstance(outcome["error"], TaskFailedError)
    assert not group_alive(pgid)
    wait_until_gone(pgid)


def test_children_left_behind_are_ended_with_the_task(tmp_path: Path) -> None:
    logs = Logs()
    started = time.monotonic()
    run({"commands": ["echo pgid $$", "sleep 30 &", "echo bye"]}, tmp_path, logs)
    assert time.monotonic() - started < WAIT
    pgid = int(logs.wait_for("pgid ").split()[1])
    assert not group_alive(pgid)
    wait_until_gone(pgid)


def test_timeout_through_the_runner_kills_the_group(tmp_path: Path) -> None:
    logs = Logs()
    worker_task = _worker_task({"timeout": "PT1S", "commands": ["echo pgid $$", "sleep 30"]})
    started = time.monotonic()
    result = run_task(worker_task, TemplateRenderer(), logs, "w1")
    assert time.monotonic() - started < WAIT
    assert result.state is StateType.FAILED
    assert result.failure is not None and result.failure.error_type == "Timeout"
    pgid = int(logs.wait_for("pgid ").split()[1])
    wait_until_gone(pgid)


def _worker_task(definition: dict[str, Any]) -> WorkerTask:
    task = {"id": "shell", "type": "io.kestra.plugin.scripts.shell.Commands", **definition}
    run = TaskRun(
        id="run1", execution_id="exec1", namespace="company.team", flow_id="flow", task_id="shell"
    )
    return WorkerTask(task_run=run, attempt=1, task=task, flow_revision=1)


# ---- the example flow -------------------------------------------------------------------


def test_example_flow_runs_with_kestrel_flow_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KESTREL_STORAGE__BASE_DIR", str(tmp_path / "storage"))
    result = CliRunner().invoke(cli, ["flow", "test", str(ROOT / "examples" / "shell.yaml")])
    assert result.exit_code == 0, result.output
    assert "Hello from shell: counted 3 words" in result.output
    assert "ended SUCCESS" in result.output


def test_example_flow_passes_kestrel_flow_validate() -> None:
    result = CliRunner().invoke(cli, ["flow", "validate", str(ROOT / "examples" / "shell.yaml")])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
