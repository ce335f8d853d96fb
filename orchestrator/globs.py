"""Glob patterns over relative POSIX paths, as Kestra's file properties take them.

``*`` and ``?`` stay within one folder, ``**`` crosses folders (``**/*.csv`` and ``**.csv``
match CSV files at any depth), ``[abc]`` and ``[!abc]`` are classes.
"""

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


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """The compiled regular expression a relative path must ``fullmatch`` to match."""
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


def matches_any(path: str, patterns: list[str]) -> bool:
    """Whether the relative ``path`` matches one of ``patterns`` (a leading ``./`` ignored)."""
    return any(glob_regex(pattern.removeprefix("./")).fullmatch(path) for pattern in patterns)


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
        compiled.append(glob_regex(pattern.removeprefix("./")))
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


__all__ = ["UnsafePathError", "glob_regex", "match_files", "matches_any"]
