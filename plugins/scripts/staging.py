"""Internal storage URIs in a script's text become files of its working directory.

Kestra does this for every script task (its ScriptService.replaceInternalStorage): a
``kestra://`` (here also ``kestrel://``) URI written in the commands is copied into the
working directory and the command sees the local path instead.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from orchestrator.plugin import StorageFileNotFoundError, TaskFailedError

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

_URI = re.compile(r"(?:kestrel|kestra)://[^\s'\"`;|&<>(){}\[\],]+")
_STAGED_FOLDER = ".kestrel-staged"


def stage_uris(ctx: RunContext, working_dir: Path, text: str) -> str:
    """Copy every internal storage URI of ``text`` into ``working_dir``; return the new text.

    Raises:
        TaskFailedError: a URI names no stored file.
    """
    staged: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        uri = match.group(0)
        if uri not in staged:
            staged[uri] = str(_stage(ctx, working_dir, uri, len(staged)))
        return staged[uri]

    return _URI.sub(replace, text)


def _stage(ctx: RunContext, working_dir: Path, uri: str, index: int) -> Path:
    try:
        data = ctx.get_file(uri)
    except StorageFileNotFoundError as exc:
        raise TaskFailedError(f"no file is stored at {uri}", retryable=False) from exc
    name = PurePosixPath(uri.split("://", 1)[1]).name or "file"
    target = working_dir / _STAGED_FOLDER / str(index) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


__all__ = ["stage_uris"]
