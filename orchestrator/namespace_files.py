"""Namespace files: files a namespace keeps in the internal storage for its flows' tasks.

They live under ``<namespace>/_files/<path>`` (a flow id cannot start with ``_``, so they
never meet a flow's execution files). ``kestrel namespace files upload|list`` manages them;
a task with ``namespaceFiles`` (script tasks, WorkingDirectory) gets copies of them in its
working directory, as Kestra's ``namespaceFiles.enabled`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import Field

from orchestrator.errors import OrchestratorError
from orchestrator.globs import matches_any
from orchestrator.models.base import KestrelModel
from orchestrator.storage import Storage, storage_path

FOLDER = "_files"
"""The folder of a namespace's files, under the namespace's folder of the storage."""


class NamespaceFilesError(OrchestratorError):
    """A namespace file cannot be read, written or copied (a bad path, ``ifExists: FAIL``)."""


class NamespaceFiles(KestrelModel):
    """Kestra's ``namespaceFiles``: which files of the namespace are copied in first."""

    enabled: bool = True
    """Copy the namespace files."""
    include: list[str] = Field(default_factory=list)
    """Globs of the files to copy (all when empty)."""
    exclude: list[str] = Field(default_factory=list)
    """Globs of files to leave out."""
    if_exists: Literal["OVERWRITE", "FAIL", "WARN", "IGNORE"] = "OVERWRITE"
    """What to do with a file already in the working directory."""
    folder_per_namespace: bool = False
    """Copy each namespace's files into a folder named after it."""
    namespaces: list[str] = Field(default_factory=list)
    """The namespaces to copy files from (default: the flow's)."""


def file_path(namespace: str, path: str) -> str:
    """The storage path of namespace file ``path`` (validated: relative, no ``..``).

    Raises:
        NamespaceFilesError: a bad namespace or path.
    """
    relative = path.strip().lstrip("/")
    try:
        return storage_path(f"{namespace}/{FOLDER}/{relative}").as_posix()
    except ValueError as exc:
        raise NamespaceFilesError(f"bad namespace file '{path}' of {namespace}: {exc}") from exc


def list_files(storage: Storage, namespace: str) -> list[str]:
    """The paths of ``namespace``'s files, relative to its files folder, sorted."""
    prefix = f"{namespace}/{FOLDER}"
    start = len("kestrel://") + len(prefix) + 1
    return [uri[start:] for uri in storage.list(prefix)]


def put_file(storage: Storage, namespace: str, path: str, data: bytes) -> str:
    """Store ``data`` as namespace file ``path``; return its URI (replacing a file there)."""
    return storage.put(file_path(namespace, path), data)


def get_file(storage: Storage, namespace: str, path: str) -> bytes:
    """The content of namespace file ``path``.

    Raises:
        StorageFileNotFoundError: no such file.
    """
    return storage.get(file_path(namespace, path))


def stage(
    storage: Storage,
    namespace: str,
    folder: Path,
    config: NamespaceFiles,
    warn: Callable[[str], None],
) -> list[str]:
    """Copy the namespace files ``config`` selects into ``folder``; return their paths there.

    Raises:
        NamespaceFilesError: a file is already there and ``ifExists`` is ``FAIL``.
    """
    if not config.enabled:
        return []
    copied = []
    for each in config.namespaces or [namespace]:
        for relative in list_files(storage, each):
            if config.include and not matches_any(relative, config.include):
                continue
            if config.exclude and matches_any(relative, config.exclude):
                continue
            target_name = f"{each}/{relative}" if config.folder_per_namespace else relative
            target = folder.joinpath(*PurePosixPath(target_name).parts)
            if target.exists() and not _replace(config, target_name, warn):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(get_file(storage, each, relative))
            copied.append(target_name)
    return copied


def _replace(config: NamespaceFiles, name: str, warn: Callable[[str], None]) -> bool:
    if config.if_exists == "FAIL":
        raise NamespaceFilesError(f"namespace file '{name}' is already in the working directory")
    if config.if_exists == "WARN":
        warn(f"namespace file '{name}' is already in the working directory: kept as it is")
    return config.if_exists == "OVERWRITE"


__all__ = [
    "FOLDER",
    "NamespaceFiles",
    "NamespaceFilesError",
    "file_path",
    "get_file",
    "list_files",
    "put_file",
    "stage",
]
