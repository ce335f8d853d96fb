"""Namespace files: stored under the namespace, staged by include/exclude, and the
WorkingDirectory cache kept between executions for its ttl."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from plugin_context import context_of, run_task, task_of

from orchestrator.namespace_files import (
    NamespaceFiles,
    NamespaceFilesError,
    list_files,
    put_file,
    stage,
)
from orchestrator.storage import LocalStorage
from orchestrator.tasks.flow import WorkingDirectory
from orchestrator.tasks.workdir_end import WorkingDirectoryEnd
from orchestrator.workdir_cache import restore_cache, save_cache


def _store(tmp_path: Path) -> LocalStorage:
    storage = LocalStorage(tmp_path / "storage")
    for name in ("main.py", "lib/util.py", "lib/skip.py", "data.csv"):
        put_file(storage, "company.team", name, name.encode())
    put_file(storage, "company.shared", "common.py", b"common")
    return storage


def test_files_are_listed_and_staged_by_include_and_exclude(tmp_path: Path) -> None:
    storage = _store(tmp_path)
    assert list_files(storage, "company.team") == [
        "data.csv",
        "lib/skip.py",
        "lib/util.py",
        "main.py",
    ]
    folder = tmp_path / "wd"
    folder.mkdir()
    config = NamespaceFiles(include=["**.py"], exclude=["lib/skip.py"])
    copied = stage(storage, "company.team", folder, config, print)
    assert copied == ["lib/util.py", "main.py"]
    assert (folder / "lib" / "util.py").read_text() == "lib/util.py"
    assert not (folder / "data.csv").exists()
    assert stage(storage, "company.team", folder, NamespaceFiles(enabled=False), print) == []


def test_other_namespaces_in_their_own_folders_and_if_exists(tmp_path: Path) -> None:
    storage = _store(tmp_path)
    folder = tmp_path / "wd"
    folder.mkdir()
    (folder / "main.py").write_text("mine")
    config = NamespaceFiles(
        namespaces=["company.team", "company.shared"], folder_per_namespace=True
    )
    copied = stage(storage, "ignored", folder, config, print)
    assert "company.shared/common.py" in copied and "company.team/main.py" in copied
    assert (folder / "main.py").read_text() == "mine"
    warned: list[str] = []
    kept = NamespaceFiles(include=["main.py"], if_exists="WARN")
    assert stage(storage, "company.team", folder, kept, warned.append) == []
    assert (folder / "main.py").read_text() == "mine" and "main.py" in warned[0]
    with pytest.raises(NamespaceFilesError, match="already in the working directory"):
        stage(
            storage,
            "company.team",
            folder,
            NamespaceFiles(include=["main.py"], if_exists="FAIL"),
            print,
        )
    assert stage(storage, "company.team", folder, NamespaceFiles(include=["main.py"]), print)
    assert (folder / "main.py").read_text() == "main.py"


def test_a_path_leaving_the_namespace_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NamespaceFilesError, match="bad namespace file"):
        put_file(LocalStorage(tmp_path), "team", "../other/x", b"")


def test_script_task_stages_namespace_files(tmp_path: Path) -> None:
    _store(tmp_path)
    outputs = run_task(
        {
            "type": "io.kestra.plugin.scripts.shell.Commands",
            "namespaceFiles": {"enabled": True, "include": ["lib/*"]},
            "commands": ["ls -R . | grep '\\.py' | sort | tr '\\n' ' ' > listing.txt"],
            "outputFiles": ["listing.txt"],
        },
        tmp_path,
    )
    uri = outputs["outputFiles"]["listing.txt"]
    assert LocalStorage(tmp_path / "storage").get(uri).decode().split() == ["skip.py", "util.py"]


def test_cache_is_saved_when_files_changed_and_expires_after_its_ttl(tmp_path: Path) -> None:
    task = task_of({"type": "io.kestra.plugin.core.log.Log", "message": "x"})
    ctx = context_of(task, tmp_path)
    folder = tmp_path / "wd"
    (folder / "deps").mkdir(parents=True)
    (folder / "deps" / "lib.txt").write_text("v1")
    (folder / "other.txt").write_text("not cached")
    assert save_cache(ctx, "ns/flow/_cache/wd", ["deps/**"], folder, restored_at=0.0) == 1
    # Unchanged since a restore: not saved again (the ttl counts from the first save).
    later = os.path.getmtime(folder / "deps" / "lib.txt") + 1
    assert save_cache(ctx, "ns/flow/_cache/wd", ["deps/**"], folder, restored_at=later) == 0

    fresh = tmp_path / "fresh"
    assert restore_cache(ctx.storage, "ns/flow/_cache/wd", timedelta(hours=1), fresh)
    assert (fresh / "deps" / "lib.txt").read_text() == "v1"
    assert not (fresh / "other.txt").exists()
    old = json.dumps({"created": (datetime.now(UTC) - timedelta(hours=2)).isoformat()})
    ctx.storage.put("ns/flow/_cache/wd/cache.json", old.encode())
    assert not restore_cache(ctx.storage, "ns/flow/_cache/wd", timedelta(hours=1), tmp_path / "x")
    assert not ctx.storage.exists("ns/flow/_cache/wd/cache.tar.gz")  # the expired cache is gone


def test_working_directory_gets_an_end_task_only_when_it_stores_or_caches() -> None:
    child = {"id": "c", "type": "io.kestra.plugin.core.log.Log", "message": "x"}
    plain = WorkingDirectory.model_validate(
        {"id": "wd", "type": "io.kestra.plugin.core.flow.WorkingDirectory", "tasks": [child]}
    )
    assert [task.id for task in plain.run_tasks] == ["c"]
    storing = WorkingDirectory.model_validate(
        {
            "id": "wd",
            "type": "io.kestra.plugin.core.flow.WorkingDirectory",
            "outputFiles": ["*.csv"],
            "cache": {"patterns": ["node_modules/**"], "ttl": "PT1H"},
            "tasks": [child],
        }
    )
    [_, end] = storing.run_tasks
    assert isinstance(end, WorkingDirectoryEnd) and end.id == "wd_end"
    assert end.output_files == ["*.csv"] and end.cache is not None
    assert [task.id for task in storing.walk()] == ["wd", "c", "wd_end"]
    assert "_end" not in json.dumps(storing.model_dump(mode="json", by_alias=True))
