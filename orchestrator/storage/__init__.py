"""Internal storage: files of executions addressed by ``kestrel://`` URIs.

Messages carry URIs, never file bodies. `Storage` is the interface; `LocalStorage` keeps
files under a directory (``storage.base_dir`` in the settings).
"""

from orchestrator.storage.base import Storage
from orchestrator.storage.errors import StorageError, StorageFileNotFoundError, StoragePathError
from orchestrator.storage.local import LocalStorage
from orchestrator.storage.uri import (
    SCHEME,
    is_storage_uri,
    storage_path,
    storage_prefix,
    task_run_prefix,
    to_uri,
)

__all__ = [
    "SCHEME",
    "LocalStorage",
    "Storage",
    "StorageError",
    "StorageFileNotFoundError",
    "StoragePathError",
    "is_storage_uri",
    "storage_path",
    "storage_prefix",
    "task_run_prefix",
    "to_uri",
]
