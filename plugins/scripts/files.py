"""Files of a script's working directory: input files in, output files (by glob) out."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from orchestrator.globs import INTERNAL_PREFIX, UnsafePathError, match_files


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


__all__ = ["INTERNAL_PREFIX", "UnsafePathError", "inside", "match_files", "write_file"]
