import io
import os
from pathlib import Path

import pytest

from orchestrator.models.execution import TaskRun
from orchestrator.plugin import RunContext
from orchestrator.storage import (
    LocalStorage,
    StorageError,
    StorageFileNotFoundError,
    StoragePathError,
    storage_path,
    task_run_prefix,
    to_uri,
)
from orchestrator.tasks.core import Log
from orchestrator.templating import TemplateRenderer


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


def test_round_trip_of_bytes(storage: LocalStorage) -> None:
    uri = storage.put("ns.team/flow/executions/e1/tasks/t/r1/data.csv", b"a,b\n1,2\n")
    assert uri == "kestrel://ns.team/flow/executions/e1/tasks/t/r1/data.csv"
    assert storage.get(uri) == b"a,b\n1,2\n"
    assert storage.exists(uri)
    assert (storage.base_dir / "ns.team/flow/executions/e1/tasks/t/r1/data.csv").is_file()


def test_round_trip_of_a_file_object_and_open(storage: LocalStorage) -> None:
    uri = storage.put("kestrel://ns/f/big.bin", io.BytesIO(b"x" * 100_000))
    with storage.open(uri) as stream:
        assert stream.read() == b"x" * 100_000


def test_put_replaces_and_leaves_no_temporary_file(storage: LocalStorage) -> None:
    storage.put("ns/f/a.txt", b"one")
    uri = storage.put("ns/f/a.txt", b"two")
    assert storage.get(uri) == b"two"
    assert sorted(os.listdir(storage.base_dir / "ns/f")) == ["a.txt"]


def test_missing_file(storage: LocalStorage) -> None:
    with pytest.raises(StorageFileNotFoundError) as error:
        storage.get("kestrel://ns/f/nothing")
    assert isinstance(error.value, FileNotFoundError)
    assert isinstance(error.value, StorageError)
    assert "kestrel://ns/f/nothing" in str(error.value)
    assert not storage.exists("kestrel://ns/f/nothing")


def test_delete(storage: LocalStorage) -> None:
    uri = storage.put("ns/f/a.txt", b"one")
    assert storage.delete(uri) is True
    assert storage.delete(uri) is False
    assert not storage.exists(uri)


def test_list_by_prefix_is_sorted(storage: LocalStorage) -> None:
    storage.put("ns/f/executions/e1/tasks/t/r/b.txt", b"")
    storage.put("ns/f/executions/e1/tasks/t/r/a.txt", b"")
    storage.put("ns/f/executions/e2/tasks/t/r/c.txt", b"")
    assert storage.list("kestrel://ns/f/executions/e1") == [
        "kestrel://ns/f/executions/e1/tasks/t/r/a.txt",
        "kestrel://ns/f/executions/e1/tasks/t/r/b.txt",
    ]
    assert len(storage.list()) == 3
    assert storage.list("ns/other") == []


@pytest.mark.parametrize(
    "path",
    [
        "../outside.txt",
        "kestrel://../outside.txt",
        "ns/../../outside.txt",
        "/etc/passwd",
        "kestrel:///etc/passwd",
        "ns//a.txt",
        "ns/./a.txt",
        "ns\\..\\a.txt",
        "ns/a\x00.txt",
        "",
        "kestrel://",
    ],
)
def test_paths_that_could_escape_are_refused(storage: LocalStorage, path: str) -> None:
    with pytest.raises(StoragePathError):
        storage.put(path, b"no")
    with pytest.raises(StoragePathError):
        storage.get(path)
    assert not (storage.base_dir.parent / "outside.txt").exists()


def test_a_symlink_leading_outside_is_refused(storage: LocalStorage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    storage.base_dir.mkdir(parents=True)
    (storage.base_dir / "ns").symlink_to(outside)
    with pytest.raises(StoragePathError, match="outside the storage"):
        storage.get("kestrel://ns/secret.txt")
    with pytest.raises(StoragePathError):
        storage.put("ns/new.txt", b"no")
    assert not (outside / "new.txt").exists()


def test_uri_helpers() -> None:
    assert to_uri("a/b.txt") == "kestrel://a/b.txt"
    assert storage_path("kestrel://a/b.txt").parts == ("a", "b.txt")
    prefix = task_run_prefix("company.team", "etl", "exec1", "extract", "run1")
    assert prefix.as_posix() == "company.team/etl/executions/exec1/tasks/extract/run1"
    with pytest.raises(StoragePathError):
        task_run_prefix("company/team", "etl", "exec1", "extract", "run1")
    with pytest.raises(StoragePathError):
        task_run_prefix("ns", "..", "exec1", "extract", "run1")


def _context(tmp_path: Path, storage: LocalStorage | None) -> RunContext:
    task = Log(id="log", type="io.kestra.plugin.core.log.Log", message="hi")
    run = TaskRun(id="run1", execution_id="exec1", namespace="ns", flow_id="flow", task_id="log")
    return RunContext(
        task=task,
        task_run=run,
        attempt=1,
        variables={},
        renderer=TemplateRenderer(),
        log_sink=lambda entry: None,
        storage=storage,
        working_dir=tmp_path / "work",
    )


def test_put_file_stores_under_the_task_run(tmp_path: Path, storage: LocalStorage) -> None:
    ctx = _context(tmp_path, storage)
    local = tmp_path / "report.txt"
    local.write_text("done")
    uri = ctx.put_file(local)
    assert uri == "kestrel://ns/flow/executions/exec1/tasks/log/run1/report.txt"
    assert ctx.get_file(uri) == b"done"
    assert ctx.put_file(local, "sub/renamed.txt").endswith("/run1/sub/renamed.txt")
    with pytest.raises(StoragePathError):
        ctx.put_file(local, "../../escape.txt")


def test_default_storage_comes_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KESTREL_STORAGE__BASE_DIR", str(tmp_path / "configured"))
    ctx = _context(tmp_path, None)
    assert isinstance(ctx.storage, LocalStorage)
    assert ctx.storage.base_dir == (tmp_path / "configured").resolve()


def test_working_directory_is_fresh_and_removed(tmp_path: Path) -> None:
    ctx = _context(tmp_path, None)
    with ctx.working_directory() as first, ctx.working_directory() as second:
        assert first != second
        assert first.parent == tmp_path / "work"
        assert list(first.iterdir()) == []
        (first / "file.txt").write_text("x")
    assert not first.exists()
    assert not second.exists()
