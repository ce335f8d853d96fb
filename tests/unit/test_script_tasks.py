"""Python and Node script tasks, task runners and staging of internal storage URIs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from plugin_context import Logs, context_of, run_task, task_of

from orchestrator.plugin import TaskFailedError
from orchestrator.storage import LocalStorage
from plugins.scripts.runners import DockerRunner, docker_engine_available


@pytest.fixture(scope="module", autouse=True)
def envs_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One cache of Python environments for the module (built once, reused)."""
    folder = tmp_path_factory.mktemp("envs")
    before = os.environ.get("KESTREL_SCRIPTS__ENVS_DIR")
    os.environ["KESTREL_SCRIPTS__ENVS_DIR"] = str(folder)
    yield folder
    if before is None:
        del os.environ["KESTREL_SCRIPTS__ENVS_DIR"]
    else:
        os.environ["KESTREL_SCRIPTS__ENVS_DIR"] = before


PY_SCRIPT = "io.kestra.plugin.scripts.python.Script"
PY_COMMANDS = "io.kestra.plugin.scripts.python.Commands"


def test_python_script_returns_outputs_through_the_kestra_helper(tmp_path: Path) -> None:
    outputs = run_task(
        {
            "type": PY_SCRIPT,
            "script": (
                "from kestra import Kestra\n"
                "import sys\n"
                "Kestra.outputs({'answer': 42, 'who': '{{ inputs.who }}'})\n"
                "Kestra.counter('rows', 3)\n"
                "print(sys.prefix)\n"
            ),
        },
        tmp_path,
        inputs={"who": "ada"},
    )
    assert outputs["vars"] == {"answer": 42, "who": "ada"}
    assert outputs["exitCode"] == 0


def test_python_dependencies_are_installed_once_per_set(tmp_path: Path, envs_dir: Path) -> None:
    definition = {
        "type": PY_SCRIPT,
        "dependencies": ["six==1.16.0"],
        "script": "import six\nfrom kestra import Kestra\nKestra.outputs({'six': six.__version__})",
    }
    assert run_task(definition, tmp_path)["vars"] == {"six": "1.16.0"}
    built = sorted(path.name for path in envs_dir.glob("python-*") if path.is_dir())
    assert run_task(definition, tmp_path)["vars"] == {"six": "1.16.0"}
    assert sorted(p.name for p in envs_dir.glob("python-*") if p.is_dir()) == built


def test_python_commands_with_input_and_output_files(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "storage")
    uri = storage.put("company.team/flow/data.csv", b"a\n1\n2\n")
    outputs = run_task(
        {
            "type": PY_COMMANDS,
            "inputFiles": {
                "main.py": "import sys\nopen('out.txt','w').write(open(sys.argv[1]).read().upper())"
            },
            "beforeCommands": ["python -c 'import sys; print(sys.prefix)'"],
            "commands": [f"python main.py {uri.replace('kestrel://', 'kestra://')}"],
            "outputFiles": ["out.txt"],
            "env": {"GREETING": "hi"},
        },
        tmp_path,
    )
    assert storage.get(outputs["outputFiles"]["out.txt"]) == b"A\n1\n2\n"


def test_python_failure_quotes_stderr(tmp_path: Path) -> None:
    with pytest.raises(TaskFailedError, match="ZeroDivisionError"):
        run_task({"type": PY_SCRIPT, "script": "1/0"}, tmp_path)


def test_missing_staged_uri_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(TaskFailedError, match="no file is stored at kestra://nope/x.csv"):
        run_task(
            {
                "type": "io.kestra.plugin.scripts.shell.Commands",
                "commands": ["cat kestra://nope/x.csv"],
            },
            tmp_path,
        )


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_script_outputs(tmp_path: Path) -> None:
    outputs = run_task(
        {
            "type": "io.kestra.plugin.scripts.node.Script",
            "script": "const Kestra = require('@kestra-io/libs');\nKestra.outputs({n: 1 + 1});",
        },
        tmp_path,
    )
    assert outputs["vars"] == {"n": 2}


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_esm_script_and_commands(tmp_path: Path) -> None:
    outputs = run_task(
        {
            "type": "io.kestra.plugin.scripts.node.Script",
            "script": (
                "import os from 'os';\n"
                "import Kestra from '@kestra-io/libs';\n"
                "Kestra.outputs({esm: typeof os.cpus});"
            ),
        },
        tmp_path,
    )
    assert outputs["vars"] == {"esm": "function"}
    commands = run_task(
        {
            "type": "io.kestra.plugin.scripts.node.Commands",
            "inputFiles": {"main.js": "require('@kestra-io/libs').outputs({ok: true})"},
            "commands": ["node main.js"],
        },
        tmp_path,
    )
    assert commands["vars"] == {"ok": True}


DOCKER = {"type": "io.kestra.plugin.scripts.runner.docker.Docker", "cpu": {"cpus": 1}}


@pytest.mark.skipif(docker_engine_available(), reason="a Docker engine is reachable")
def test_docker_runner_without_engine_falls_back_to_a_process_with_a_warning(
    tmp_path: Path,
) -> None:
    logs = Logs()
    task = task_of(
        {
            "type": "io.kestra.plugin.scripts.shell.Commands",
            "containerImage": "ubuntu:22.04",
            "taskRunner": DOCKER,
            "commands": ['echo \'::{"outputs":{"ran":true}}::\''],
        }
    )
    outputs = task.run(context_of(task, tmp_path, logs)) or {}
    assert outputs["vars"] == {"ran": True}
    assert "instead of in the container image 'ubuntu:22.04'" in logs.text()


@pytest.mark.skipif(docker_engine_available(), reason="a Docker engine is reachable")
def test_docker_runner_without_engine_fails_when_set_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KESTREL_SCRIPTS__DOCKER_FALLBACK", "fail")
    with pytest.raises(TaskFailedError, match="none is reachable \\(image 'python:3.13-slim'\\)"):
        run_task({"type": PY_SCRIPT, "taskRunner": DOCKER, "script": "print(1)"}, tmp_path)


def test_docker_command_line(tmp_path: Path) -> None:
    runner = DockerRunner.model_validate(
        {**DOCKER, "memory": {"memory": "512m"}, "volumes": ["/data:/data"], "networkMode": "host"}
    )
    argv = runner.docker_argv("python:3.13", ["sh", "-c", "ls"], tmp_path, {"A": "1"})
    assert argv[:3] == ["docker", "run", "--rm"]
    assert ["-v", f"{tmp_path}:{tmp_path}"] == argv[5:7]
    for pair in (["--cpus", "1"], ["--memory", "512m"], ["--network", "host"], ["-e", "A=1"]):
        assert any(argv[i : i + 2] == pair for i in range(len(argv)))
    assert argv[-4:] == ["python:3.13", "sh", "-c", "ls"]


def test_python_version_selects_the_interpreter(tmp_path: Path) -> None:
    outputs = run_task(
        {
            "type": PY_SCRIPT,
            "pythonVersion": "3.11",
            "script": (
                "import sys\nfrom kestra import Kestra\n"
                "Kestra.outputs({'version': '%d.%d' % sys.version_info[:2]})\n"
            ),
        },
        tmp_path,
    )
    assert outputs["vars"] == {"version": "3.11"}


def test_a_python_version_missing_on_the_worker_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestrator.plugin import TaskFailedError
    from plugins.scripts.envs import find_interpreter

    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no uv to provide another version
    assert find_interpreter("3.11") and find_interpreter(None)
    with pytest.raises(TaskFailedError, match=r"Python 3\.99 is not installed on this worker"):
        run_task({"type": PY_SCRIPT, "pythonVersion": "3.99", "script": "print(1)"}, tmp_path)
    with pytest.raises(TaskFailedError, match="is not a version"):
        find_interpreter("latest")
