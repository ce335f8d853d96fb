"""Template functions that read Kestrel's stores: ``read()`` (internal storage files).

A template may read only files of its own namespace (``kestrel://<namespace>/...``):
rendering runs in a sandbox, and a flow must not read another team's files.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from orchestrator.namespace_files import NamespaceFilesError, file_path
from orchestrator.storage import (
    LocalStorage,
    Storage,
    StorageError,
    StorageFileNotFoundError,
    is_storage_uri,
    storage_path,
    to_uri,
)
from orchestrator.templating.errors import TemplateError

MAX_READ_BYTES = 10 * 1024 * 1024
"""The largest file ``read()`` returns: its text goes into a rendered property."""


@lru_cache(maxsize=4)
def _storage_at(base_dir: Path) -> Storage:
    return LocalStorage(base_dir)


def _storage() -> Storage:
    from orchestrator.settings import load_settings

    return _storage_at(load_settings().storage.base_dir)


@pass_context
def read(context: Context, path: Any) -> str:
    """Return the text of a file of the flow's namespace.

    ``path`` is an internal storage URI, or else the path of a namespace file (as
    ``kestrel namespace files upload`` stores it).
    """
    namespace = _namespace(context)
    if not is_storage_uri(path):
        if namespace is None:
            raise TemplateError(f"read({path!r}): a namespace file needs the flow's namespace")
        try:
            path = to_uri(file_path(namespace, str(path)))
        except NamespaceFilesError as exc:
            raise TemplateError(f"read(): {exc}") from exc
    parts = storage_path(str(path)).parts
    if namespace is not None and (not parts or parts[0] != namespace):
        raise TemplateError(f"read(): {path} is not a file of namespace '{namespace}'")
    try:
        data = _storage().get(str(path))
    except StorageFileNotFoundError as exc:
        raise TemplateError(f"read(): no file is stored at {path}") from exc
    except StorageError as exc:
        raise TemplateError(f"read(): {exc}") from exc
    if len(data) > MAX_READ_BYTES:
        raise TemplateError(f"read(): {path} is larger than {MAX_READ_BYTES} bytes")
    return data.decode("utf-8", errors="replace")


def _namespace(context: Context) -> str | None:
    flow = context.get("flow")
    if isinstance(flow, Mapping) and isinstance(flow.get("namespace"), str):
        return str(flow["namespace"])
    return None


@pass_context
def kv(
    context: Context,
    key: Any,
    namespace: Any = None,
    errorOnMissing: bool = True,  # noqa: N803  # Kestra's argument name
) -> Any:
    """The value of a KV pair of the flow's namespace (or ``namespace``)."""
    from orchestrator.kv import KvError, default_store

    where = str(namespace) if namespace is not None else _namespace(context)
    if where is None:
        raise TemplateError("kv(): no namespace (the flow's is unknown here)")
    try:
        entry = default_store().get(where, str(key))
    except KvError as exc:
        raise TemplateError(f"kv(): {exc}") from exc
    if entry is None:
        if errorOnMissing:
            raise TemplateError(f"kv(): no value for key '{key}' in namespace '{where}'")
        return None
    return entry.value


__all__ = ["MAX_READ_BYTES", "kv", "read"]
