"""The git tasks in-process on local repositories (a bare remote in tmp_path)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from plugin_context import Logs, context_of, run_task, task_of

from orchestrator.models.workdir import SharedDirectory
from orchestrator.storage import LocalStorage
from plugins.git import GitTaskError

G = "io.kestra.plugin.git."
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@x",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@x",
}


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def remote(tmp_path: Path) -> str:
    """A bare repository with main (flows/ and scripts/) and a branch dev."""
    bare = tmp_path / "remote.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(bare), cwd=tmp_path)
    work = tmp_path / "seed"
    git("clone", "--quiet", str(bare), str(work), cwd=tmp_path)
    (work / "flows" / "sub").mkdir(parents=True)
    (work / "flows" / "hello.yml").write_text(
        "id: hello\nnamespace: elsewhere\ntasks:\n  - id: log\n"
        "    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    )
    (work / "flows" / "sub" / "child.yaml").write_text(
        "id: child\nnamespace: x\ntasks:\n  - id: log\n"
        "    type: io.kestra.plugin.core.log.Log\n    message: child\n"
    )
    (work / "scripts").mkdir()
    (work / "scripts" / "etl.py").write_text("print('etl')\n")
    (work / "README.md").write_text("main\n")
    git("add", ".", cwd=work)
    git("commit", "--quiet", "-m", "seed", cwd=work)
    git("push", "--quiet", "origin", "main", cwd=work)
    git("checkout", "--quiet", "-b", "dev", cwd=work)
    (work / "README.md").write_text("dev\n")
    git("commit", "--quiet", "-am", "dev", cwd=work)
    git("push", "--quiet", "origin", "dev", cwd=work)
    return f"file://{bare}"


def in_working_directory(definition: dict[str, Any], tmp_path: Path) -> tuple[dict[str, Any], Path]:
    task = task_of(definition)
    ctx = context_of(task, tmp_path)
    ctx.shared_directory = SharedDirectory(task_run_id="wd1", task_id="wd")
    outputs = task.run(ctx) or {}
    return outputs, Path(outputs["directory"])


def test_clone_a_branch_into_the_shared_working_directory(tmp_path: Path, remote: str) -> None:
    _, folder = in_working_directory({"type": G + "Clone", "url": remote}, tmp_path)
    assert (folder / "README.md").read_text() == "main\n"
    assert (folder / "scripts" / "etl.py").exists()
    _, dev = in_working_directory(
        {"type": G + "Clone", "url": remote, "branch": "dev", "directory": "dev"}, tmp_path
    )
    assert dev.name == "dev" and (dev / "README.md").read_text() == "dev\n"
    assert git("rev-list", "--count", "HEAD", cwd=dev).strip() == "1"  # depth 1


def test_clone_beside_files_already_in_the_folder(tmp_path: Path, remote: str) -> None:
    shared = SharedDirectory(task_run_id="wd2", task_id="wd", input_files={"data.csv": "a\n"})
    task = task_of({"type": G + "Clone", "url": remote})
    ctx = context_of(task, tmp_path)
    ctx.shared_directory = shared
    folder = Path((task.run(ctx) or {})["directory"])
    assert (folder / "data.csv").read_text() == "a\n"
    assert (folder / "README.md").read_text() == "main\n" and (folder / ".git").is_dir()
    clash = SharedDirectory(task_run_id="wd3", task_id="wd", input_files={"README.md": "mine"})
    ctx = context_of(task, tmp_path)
    ctx.shared_directory = clash
    with pytest.raises(GitTaskError, match="already has README.md, which the repository has"):
        task.run(ctx)


def test_clone_failures_name_the_task_and_mask_the_password(tmp_path: Path, remote: str) -> None:
    with pytest.raises(GitTaskError, match=r"task 't' .*cloning .* failed: .*nope"):
        run_task({"type": G + "Clone", "url": remote, "branch": "nope"}, tmp_path)
    logs = Logs()
    task = task_of(
        {
            "type": G + "Clone",
            "url": "http://127.0.0.1:9/repo.git",
            "username": "me",
            "password": "hunter22",
        }
    )
    with pytest.raises(GitTaskError) as caught:
        task.run(context_of(task, tmp_path, logs))
    assert "http://127.0.0.1:9/repo.git" in str(caught.value)
    assert "hunter22" not in str(caught.value) and "hunter22" not in logs.text()
    with pytest.raises(GitTaskError, match="inside the working directory"):
        run_task({"type": G + "Clone", "url": remote, "directory": "../out"}, tmp_path)


def test_push_commits_input_files_to_a_new_branch(tmp_path: Path, remote: str) -> None:
    report = LocalStorage(tmp_path / "storage").put("company/report.csv", b"a,b\n1,2\n")
    pushed = run_task(
        {
            "type": G + "Push",
            "url": remote,
            "branch": "reports",
            "commitMessage": "report of {{ day }}",
            "inputFiles": {"reports/today.csv": report, "notes.txt": "plain {{ day }}"},
            "author": {"name": "Robot", "email": "robot@example.com"},
        },
        tmp_path,
        day="monday",
    )
    assert pushed["changed"] is True and len(pushed["commitId"]) == 40
    check = tmp_path / "check"
    git("clone", "--quiet", "--branch", "reports", remote, str(check), cwd=tmp_path)
    assert (check / "reports" / "today.csv").read_bytes() == b"a,b\n1,2\n"
    assert (check / "notes.txt").read_text() == "plain monday"
    assert (check / "README.md").read_text() == "main\n"  # made from the default branch
    log = git("log", "-1", "--format=%H %an %s", cwd=check).strip()
    assert log == f"{pushed['commitId']} Robot report of monday"
    again = run_task(
        {
            "type": G + "Push",
            "url": remote,
            "branch": "reports",
            "commitMessage": "same",
            "inputFiles": {"notes.txt": "plain monday"},
        },
        tmp_path,
    )
    assert again == {"commitId": pushed["commitId"], "changed": False}


def test_sync_namespace_files_adds_updates_and_deletes(tmp_path: Path, remote: str) -> None:
    storage = LocalStorage(tmp_path / "storage")
    storage.put("company.team/_files/old.txt", b"old")
    storage.put("company.team/_files/etl.py", b"print('old')\n")
    definition = {
        "type": G + "SyncNamespaceFiles",
        "url": remote,
        "gitDirectory": "scripts",
        "namespace": "company.team",
        "delete": True,
    }
    dry = run_task({**definition, "dryRun": True}, tmp_path)["files"]
    assert dry == [
        {"path": "etl.py", "syncState": "UPDATED"},
        {"path": "old.txt", "syncState": "DELETED"},
    ]
    assert storage.exists("company.team/_files/old.txt")
    run_task(definition, tmp_path)
    assert storage.list("company.team/_files") == ["kestrel://company.team/_files/etl.py"]
    assert storage.get("company.team/_files/etl.py") == b"print('etl')\n"
    unchanged = run_task(definition, tmp_path)["files"]
    assert unchanged == [{"path": "etl.py", "syncState": "UNCHANGED"}]
    with pytest.raises(GitTaskError, match="'nowhere' is not a folder of"):
        run_task({**definition, "gitDirectory": "nowhere"}, tmp_path)


def test_push_namespace_files_mirrors_the_namespace_in_a_folder(
    tmp_path: Path, remote: str
) -> None:
    storage = LocalStorage(tmp_path / "storage")
    storage.put("company.team/_files/etl.py", b"print('new')\n")
    storage.put("company.team/_files/sql/q.sql", b"select 1")
    storage.put("company.team/_files/notes.txt", b"skip me")
    definition = {
        "type": G + "PushNamespaceFiles",
        "url": remote,
        "namespace": "company.team",
        "gitDirectory": "scripts",
        "files": ["*.py", "sql/*"],
        "commitMessage": "files",
        "authorName": "Robot",
    }
    dry = run_task({**definition, "dryRun": True}, tmp_path)
    assert dry == {
        "commitId": None,
        "diff": [{"path": "etl.py", "state": "UPDATED"}, {"path": "sql/q.sql", "state": "ADDED"}],
    }
    pushed = run_task(definition, tmp_path)
    check = tmp_path / "check"
    git("clone", "--quiet", remote, str(check), cwd=tmp_path)
    assert (check / "scripts" / "etl.py").read_text() == "print('new')\n"
    assert (check / "scripts" / "sql" / "q.sql").read_text() == "select 1"
    assert not (check / "scripts" / "notes.txt").exists()
    assert git("log", "-1", "--format=%H %an", cwd=check).strip() == f"{pushed['commitId']} Robot"
    assert run_task(definition, tmp_path)["diff"] == []
