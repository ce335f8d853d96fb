"""Files of a script's working directory: input files in, output files (by glob) out."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path, PurePosixPath

INTERNAL_PREFIX = ".kestrel-"
"""Files and folders of a working directory whose name starts so belong to the task."""


class UnsafePathError(ValueError):
    """A file name or pattern would reach outside the working directory."""


def inside(working_dir: Path, relative: str) -> Path:
    """Return ``working_dir / relative`` after checking it stays inside ``working_dir``.

    Raises:
        UnsafePathError: ``relative`` is empty, absolute, or goes up with ``..``.
    """
    path = PurePosixPath(relative)
    if not relative or path.is_absolute() or ".." in path.parts or "\x00" in relative:
        raise UnsafePathError(f"'{relative}' must be a relative path inside the working directory")
    target = working_dir.joinpath(*path.parts)
    if not target.resolve().is_relative_to(working_dir.resolve()):
        raise UnsafePathError(f"'{relative}' resolves outside the working directory")
    return target


def write_file(working_dir: Path, relative: str, content: bytes) -> Path:
    """Write ``content`` to ``relative`` inside ``working_dir``, creating folders.

    Raises:
        UnsafePathError: the name would leave the working directory.
    """
    target = inside(working_dir, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return target


def match_files(
    working_dir: Path, patterns: Iterable[str], exclude: Iterable[Path] = ()
) -> dict[str, Path]:
    """Return the files of ``working_dir`` matching any glob, by relative POSIX path, sorted.

    Globs are matched against the relative path: ``*`` and ``?`` stay within one folder,
    ``**`` crosses folders (``**/*.csv`` and ``**.csv`` match CSV files at any depth).
    Symbolic links that lead outside the working directory are left out.

    Raises:
        UnsafePathError: a pattern is absolute or goes up with ``..``.
    """
    compiled = []
    for pattern in patterns:
        path = PurePosixPath(pattern)
        if not pattern or path.is_absolute() or ".." in path.parts:
            raise UnsafePathError(f"output pattern '{pattern}' must stay in the working directory")
        compiled.append(_glob_regex(pattern.removeprefix("./")))
    root = working_dir.resolve()
    skipped = {path.resolve() for path in exclude}
    found: dict[str, Path] = {}
    for folder, _, names in os.walk(root):
        for name in names:
            file = Path(folder, name)
            relative = file.relative_to(root).as_posix()
            if relative.startswith(INTERNAL_PREFIX):
                continue  # the task's own scripts and staged inputs are never outputs
            if not any(regex.fullmatch(relative) for regex in compiled):
                continue
            resolved = file.resolve()
            if resolved in skipped or not resolved.is_relative_to(root) or not resolved.is_file():
                continue
            found[relative] = file
    return dict(sorted(found.items()))


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif char == "*":
            parts.append("[^/]*")
            index += 1
        elif char == "?":
            parts.append("[^/]")
            index += 1
        elif char == "[" and "]" in pattern[index + 2 :]:
            end = pattern.index("]", index + 2)
            body = pattern[index + 1 : end]
            negate = body.startswith(("!", "^"))
            body = re.escape(body[1:] if negate else body).replace("\\-", "-")
            parts.append(f"[{'^' if negate else ''}{body}]")
            index = end + 1
        else:
            parts.append(re.escape(char))
            index += 1
    return re.compile("".join(parts))


__all__ = ["INTERNAL_PREFIX", "UnsafePathError", "inside", "match_files", "write_file"]
