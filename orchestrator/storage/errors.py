"""Errors of the internal storage."""

from __future__ import annotations

from orchestrator.errors import OrchestratorError


class StorageError(OrchestratorError):
    """Root of every internal storage error."""


class StoragePathError(StorageError, ValueError):
    """A path or URI is not a safe location inside the storage (``..``, absolute, empty)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"invalid storage path {path!r}: {reason}")
        self.path = path
        self.reason = reason


class StorageFileNotFoundError(StorageError, FileNotFoundError):
    """No file is stored under a URI."""

    def __init__(self, uri: str) -> None:
        super().__init__(f"no file in internal storage at {uri}")
        self.uri = uri

    def __str__(self) -> str:
        return f"no file in internal storage at {self.uri}"
