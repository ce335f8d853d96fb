"""The folder a WorkingDirectory's children share, kept on the worker and in the storage.

Each child runs in ``<scratch>/kestrel-workdirs/<WorkingDirectory run id>``. After a child
(whatever its end), the folder is archived to the internal storage with a ``latest`` marker
naming that attempt; the next child uses the local folder when its own marker is the latest,
else restores the archive (it ran elsewhere, or this worker restarted). A new folder gets,
in Kestra's order, the WorkingDirectory's saved ``cache``, its ``namespaceFiles`` and its
``inputFiles``; its internal end task (`WorkingDirectoryEnd`) stores ``outputFiles`` and
saves the cache.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from orchestrator.errors import OrchestratorError
from orchestrator.models.workdir import SharedDirectory
from orchestrator.namespace_files import NamespaceFiles, NamespaceFilesError, stage
from orchestrator.storage import StorageFileNotFoundError, is_storage_uri
from orchestrator.workdir_cache import WorkdirCache, cache_prefix, restore_cache

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

MARKER = ".kestrel-workdir"
"""The local file naming the attempt the folder was last saved by."""
STALE_AFTER_SECONDS = 24 * 3600.0
"""Local folders untouched this long are removed when a new one is made."""

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class WorkingDirectoryError(OrchestratorError):
    """The shared folder could not be prepared (a bad input file name, for example)."""


@contextmanager
def shared_working_directory(ctx: RunContext, shared: SharedDirectory) -> Iterator[Path]:
    """Yield the shared folder of ``shared`` for this attempt; save it afterwards.

    Raises:
        WorkingDirectoryError: an input file name leaves the folder, or the saved folder
            cannot be read.
    """
    with _lock(shared.task_run_id):
        base = (ctx.working_dir or Path(tempfile.gettempdir())) / "kestrel-workdirs"
        folder = base / shared.task_run_id
        prefix = _prefix(ctx, shared)
        latest = _read(ctx, f"{prefix}/latest")
        local = (folder / MARKER).read_text() if (folder / MARKER).is_file() else None
        if latest is None or local != latest:
            _prune(base)
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            if latest is None:
                _prepare(ctx, shared, folder, prefix)
            else:
                _restore(ctx.storage.get(f"{prefix}/folder.tar.gz"), folder)
        try:
            yield folder
        finally:
            for entry in folder.iterdir():
                if entry.name.startswith(".kestrel-") and entry.name != MARKER:
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            stamp = f"{ctx.task_run.id}:{ctx.attempt}"
            ctx.storage.put(f"{prefix}/folder.tar.gz", _archive(folder))
            ctx.storage.put(f"{prefix}/latest", stamp.encode())
            (folder / MARKER).write_text(stamp)


def _prepare(ctx: RunContext, shared: SharedDirectory, folder: Path, prefix: str) -> None:
    """Fill a new folder: the saved cache, the namespace files, then the input files."""
    run = ctx.task_run
    if shared.cache is not None:
        cache = WorkdirCache.model_validate(shared.cache)
        where = cache_prefix(run.namespace, run.flow_id, shared.task_id)
        if restore_cache(ctx.storage, where, cache.ttl, folder):
            ctx.logger.debug(f"WorkingDirectory '{shared.task_id}': cache restored")
            ctx.storage.put(f"{prefix}/cache-restored", str(time.time()).encode())
    if shared.namespace_files is not None:
        config = NamespaceFiles.model_validate(shared.namespace_files)
        try:
            stage(ctx.storage, run.namespace, folder, config, ctx.logger.warn)
        except NamespaceFilesError as exc:
            raise WorkingDirectoryError(str(exc)) from exc
    _write_input_files(ctx, shared, folder)


def cache_restored_at(ctx: RunContext, shared: SharedDirectory) -> float:
    """When the cache was restored into the folder (epoch seconds; 0: it was not)."""
    stamp = _read(ctx, f"{_prefix(ctx, shared)}/cache-restored")
    return float(stamp) if stamp else 0.0


def _prefix(ctx: RunContext, shared: SharedDirectory) -> str:
    run = ctx.task_run
    return (
        f"{run.namespace}/{run.flow_id}/executions/{run.execution_id}/"
        f"working-directories/{shared.task_run_id}"
    )


def _read(ctx: RunContext, uri: str) -> str | None:
    try:
        return ctx.storage.get(uri).decode()
    except StorageFileNotFoundError:
        return None


def _write_input_files(ctx: RunContext, shared: SharedDirectory, folder: Path) -> None:
    if shared.input_files is None:
        return
    files: Any = ctx.render(shared.input_files, "inputFiles")
    if isinstance(files, str):
        try:
            files = json.loads(files)
        except json.JSONDecodeError as exc:
            raise WorkingDirectoryError(f"inputFiles is not a JSON map: {exc}") from exc
    if not isinstance(files, dict):
        raise WorkingDirectoryError("inputFiles must be a map of file name to content")
    for name, content in files.items():
        text = content if isinstance(content, str) else json.dumps(content)
        data = ctx.get_file(text) if is_storage_uri(text) else text.encode()
        target = _inside(folder, str(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _inside(folder: Path, name: str) -> Path:
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts:
        raise WorkingDirectoryError(f"input file '{name}' must be a relative path in the folder")
    return folder.joinpath(*path.parts)


def _archive(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for entry in sorted(folder.iterdir()):
            if entry.name != MARKER:
                archive.add(entry, arcname=entry.name)
    return buffer.getvalue()


def _restore(data: bytes, folder: Path) -> None:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            archive.extractall(folder, filter="data")  # refuses paths leaving the folder
    except (tarfile.TarError, OSError) as exc:
        raise WorkingDirectoryError(f"the saved working directory cannot be read: {exc}") from exc


def _prune(base: Path) -> None:
    if not base.is_dir():
        return
    horizon = time.time() - STALE_AFTER_SECONDS
    for entry in base.iterdir():
        try:
            if entry.stat().st_mtime < horizon:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue


def _lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


__all__ = ["MARKER", "WorkingDirectoryError", "cache_restored_at", "shared_working_directory"]
