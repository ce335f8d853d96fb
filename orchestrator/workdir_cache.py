"""The ``cache`` of a WorkingDirectory: files kept from one execution of a flow to the next.

At the end of the WorkingDirectory, the files matching ``cache.patterns`` are archived to
``<namespace>/<flow>/_cache/<task id>/cache.tar.gz`` when one of them changed since the
cache was restored; a new folder of a later execution starts from that archive unless it
is older than ``cache.ttl`` (then it is deleted), as Kestra's WorkingDirectory does.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.globs import matches_any
from orchestrator.models.base import KestrelModel
from orchestrator.models.duration import Duration
from orchestrator.storage import StorageFileNotFoundError

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext
    from orchestrator.storage import Storage

_INTERNAL = ".kestrel-"


class WorkdirCache(KestrelModel):
    """Kestra's WorkingDirectory ``cache``: which files to keep, and for how long."""

    patterns: list[str]
    """Globs of the files to keep (``node_modules/**``)."""
    ttl: Duration | None = None
    """How long a saved cache is used; a cache older than this is deleted (none: forever)."""


def cache_prefix(namespace: str, flow_id: str, task_id: str) -> str:
    """Where a WorkingDirectory's cache is stored."""
    return f"{namespace}/{flow_id}/_cache/{task_id}"


def restore_cache(storage: Storage, prefix: str, ttl: timedelta | None, folder: Path) -> bool:
    """Extract the saved cache into ``folder``; False when there is none or it expired."""
    try:
        meta = json.loads(storage.get(f"{prefix}/cache.json"))
        archive = storage.get(f"{prefix}/cache.tar.gz")
    except (StorageFileNotFoundError, ValueError):
        return False
    created = datetime.fromisoformat(str(meta.get("created")))
    if ttl is not None and created + ttl < datetime.now(UTC):
        storage.delete(f"{prefix}/cache.tar.gz")
        storage.delete(f"{prefix}/cache.json")
        return False
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        tar.extractall(folder, filter="data")  # refuses paths leaving the folder
    return True


def save_cache(
    ctx: RunContext, prefix: str, patterns: list[str], folder: Path, restored_at: float
) -> int:
    """Archive the files of ``folder`` matching ``patterns`` if one changed since ``restored_at``.

    Returns the number of files saved (0: nothing matched, or nothing changed).
    """
    matched = _matching(folder, patterns)
    if not matched or all(path.stat().st_mtime <= restored_at for path in matched.values()):
        ctx.logger.debug("cache files did not change: the cache is kept as it is")
        return 0
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for relative, path in matched.items():
            tar.add(path, arcname=relative)
    ctx.storage.put(f"{prefix}/cache.tar.gz", buffer.getvalue())
    created = json.dumps({"created": datetime.now(UTC).isoformat()})
    ctx.storage.put(f"{prefix}/cache.json", created.encode())
    ctx.logger.debug(f"cached {len(matched)} file(s) in {prefix}")
    return len(matched)


def _matching(folder: Path, patterns: list[str]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for directory, _, names in os.walk(folder):
        for name in names:
            path = Path(directory, name)
            relative = path.relative_to(folder).as_posix()
            if not relative.startswith(_INTERNAL) and matches_any(relative, patterns):
                found[relative] = path
    return dict(sorted(found.items()))


__all__ = ["WorkdirCache", "cache_prefix", "restore_cache", "save_cache"]
