"""The internal storage interface: files addressed by ``kestrel://`` URIs."""

from __future__ import annotations

import builtins
import io
from abc import ABC, abstractmethod
from pathlib import PurePosixPath
from typing import BinaryIO

from orchestrator.storage.uri import storage_path, storage_prefix, to_uri


class Storage(ABC):
    """Where files of executions live (FILE inputs, task output files).

    Every method takes a ``kestrel://`` URI or the bare relative path after the scheme;
    paths are validated before a backend sees them, so nothing can escape the storage.
    Implementations override the ``_``-prefixed methods, which receive validated paths.
    """

    def put(self, uri_or_path: str, data: bytes | BinaryIO) -> str:
        """Store ``data`` (bytes or a binary file object) and return its ``kestrel://`` URI.

        An existing file at the same URI is replaced.

        Raises:
            StoragePathError: the path is not safe.
            StorageError: the backend failed.
        """
        path = storage_path(uri_or_path)
        self._put(path, io.BytesIO(data) if isinstance(data, bytes | bytearray) else data)
        return to_uri(path)

    def get(self, uri: str) -> bytes:
        """Return the content stored at ``uri``.

        Raises:
            StorageFileNotFoundError: nothing is stored there.
        """
        with self.open(uri) as stream:
            return stream.read()

    def open(self, uri: str) -> BinaryIO:
        """Open the file stored at ``uri`` for reading (close it, or use ``with``).

        Raises:
            StorageFileNotFoundError: nothing is stored there.
        """
        return self._open(storage_path(uri))

    def exists(self, uri: str) -> bool:
        """Whether a file is stored at ``uri``."""
        return self._exists(storage_path(uri))

    def delete(self, uri: str) -> bool:
        """Delete the file at ``uri``; True if there was one."""
        return self._delete(storage_path(uri))

    def list(self, prefix: str = "") -> builtins.list[str]:
        """Return the sorted URIs of the files under folder ``prefix`` (all if empty)."""
        return sorted(to_uri(path) for path in self._list(storage_prefix(prefix)))

    @abstractmethod
    def _put(self, path: PurePosixPath, stream: BinaryIO) -> None: ...

    @abstractmethod
    def _open(self, path: PurePosixPath) -> BinaryIO: ...

    @abstractmethod
    def _exists(self, path: PurePosixPath) -> bool: ...

    @abstractmethod
    def _delete(self, path: PurePosixPath) -> bool: ...

    @abstractmethod
    def _list(self, prefix: PurePosixPath | None) -> builtins.list[PurePosixPath]: ...


__all__ = ["Storage"]
