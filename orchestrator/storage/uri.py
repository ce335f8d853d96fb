"""``kestrel://`` URIs: parsing, validation and the layout of task run files.

A URI is the scheme followed by a relative POSIX path whose parts are all plain names, for
example ``kestrel://company.team/etl/executions/4x9.../tasks/extract/7Qb.../data.csv``.
Validation happens here, once, so no backend ever sees a path that could leave its root.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from orchestrator.storage.errors import StoragePathError

SCHEME = "kestrel://"
"""The scheme of every internal storage URI."""

KESTRA_SCHEME = "kestra://"
"""Kestra's scheme, accepted on input so Kestra flows that spell URIs by hand keep working."""

_FORBIDDEN_PARTS = frozenset({"", ".", ".."})


def storage_path(uri_or_path: str) -> PurePosixPath:
    """Return the validated relative path of a ``kestrel://`` URI or of a bare relative path.

    Raises:
        StoragePathError: the path is empty, absolute, or has an empty, ``.`` or ``..`` part,
            a backslash or a NUL character.
    """
    text = _without_scheme(uri_or_path)
    if not text:
        raise StoragePathError(uri_or_path, "empty path")
    if "\x00" in text or "\\" in text:
        raise StoragePathError(uri_or_path, "NUL and backslash are not allowed")
    if text.startswith("/"):
        raise StoragePathError(uri_or_path, "absolute paths are not allowed")
    parts = text.split("/")
    if any(part in _FORBIDDEN_PARTS for part in parts):
        raise StoragePathError(uri_or_path, "empty, '.' and '..' parts are not allowed")
    return PurePosixPath(*parts)


def storage_prefix(uri_or_path: str) -> PurePosixPath | None:
    """Like `storage_path`, but an empty prefix (the whole storage) gives None."""
    text = _without_scheme(uri_or_path).rstrip("/")
    return None if not text else storage_path(text)


def to_uri(path: PurePosixPath | str) -> str:
    """Return the ``kestrel://`` URI of a relative storage path (validated)."""
    return SCHEME + storage_path(str(path)).as_posix()


def is_storage_uri(value: object) -> bool:
    """Whether ``value`` is a string that starts with ``kestrel://`` (or Kestra's ``kestra://``)."""
    return isinstance(value, str) and value.startswith((SCHEME, KESTRA_SCHEME))


def _without_scheme(uri_or_path: str) -> str:
    if uri_or_path.startswith(KESTRA_SCHEME):
        return uri_or_path[len(KESTRA_SCHEME) :]
    return uri_or_path.removeprefix(SCHEME)


def task_run_prefix(
    namespace: str, flow_id: str, execution_id: str, task_id: str, task_run_id: str
) -> PurePosixPath:
    """The folder of a task run's files: ``<ns>/<flow>/executions/<id>/tasks/<task>/<run>``.

    Raises:
        StoragePathError: one of the ids is not a plain name.
    """
    parts = [namespace, flow_id, "executions", execution_id, "tasks", task_id, task_run_id]
    for part in parts:
        if "/" in part:
            raise StoragePathError(part, "an id may not contain '/'")
    return storage_path("/".join(parts))


__all__ = [
    "SCHEME",
    "is_storage_uri",
    "storage_path",
    "storage_prefix",
    "task_run_prefix",
    "to_uri",
]
