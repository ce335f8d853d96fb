"""Cached environments of script dependencies: one Python venv per dependency set.

A Python task's ``dependencies`` are installed once into a virtual environment named by a
hash of the interpreter and the sorted dependency list; later runs with the same set reuse
it. The environment is built under a file lock and marked ready last, so concurrent task
runs (threads or worker processes) never use a half-built one.
Installing uses ``uv`` when it is on the PATH, else the venv's own pip.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.plugin import TaskFailedError
from plugins.scripts.process import run_process

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

_READY = ".kestrel-ready"


def envs_dir() -> Path:
    """The ``scripts.envs_dir`` setting."""
    from orchestrator.settings import load_settings

    return load_settings().scripts.envs_dir


def python_env(ctx: RunContext, dependencies: Sequence[str], cache: bool = True) -> Path:
    """Return a virtual environment with ``dependencies`` installed (built on first use).

    Args:
        ctx: the run context (logs and cancellation).
        dependencies: pip requirement specifiers.
        cache: reuse the environment of the same dependency set (else build a fresh one
            under the same lock and replace the cached one).

    Raises:
        TaskFailedError: the environment could not be built or a dependency installed.
    """
    wanted = sorted({each.strip() for each in dependencies if each.strip()})
    key = hashlib.sha256(json.dumps([sys.executable, wanted]).encode()).hexdigest()[:16]
    root = envs_dir()
    target = root / f"python-{key}"
    if cache and (target / _READY).exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f"python-{key}.lock"):
        if cache and (target / _READY).exists():
            return target
        ctx.logger.info(f"creating a Python environment for {wanted or 'no dependencies'}")
        # Built in place under the lock: a venv records its own path in its scripts, so it
        # cannot be renamed. Only the marker, written last, makes it usable.
        shutil.rmtree(target, ignore_errors=True)
        try:
            _run(ctx, [sys.executable, "-m", "venv", str(target)], root, "create the venv")
            if wanted:
                _install(ctx, target, wanted, root)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        (target / _READY).write_text(json.dumps(wanted))
    return target


def _install(ctx: RunContext, env: Path, wanted: list[str], cwd: Path) -> None:
    python = str(env / "bin" / "python")
    uv = shutil.which("uv")
    if uv is not None:
        argv = [uv, "pip", "install", "--python", python, *wanted]
    else:
        argv = [python, "-m", "pip", "install", "--disable-pip-version-check", "-q", *wanted]
    _run(ctx, argv, cwd, f"install {' '.join(wanted)}")


def _run(ctx: RunContext, argv: list[str], cwd: Path, what: str) -> None:
    lines: list[str] = []

    def keep(line: str) -> None:
        lines.append(line)
        ctx.logger.debug(line)

    try:
        result = run_process(
            argv, cwd=cwd, env=_env(), on_stdout=keep, on_stderr=keep, cancelled=ctx.cancelled
        )
    except OSError as exc:
        raise TaskFailedError(f"cannot {what}: {exc}") from exc
    if result.cancelled:
        raise TaskFailedError("Command killed", retryable=False, error_type="Killed")
    if result.exit_code != 0:
        tail = "\n".join(lines[-20:])
        raise TaskFailedError(f"cannot {what} (exit code {result.exit_code}):\n{tail}")


def _env() -> dict[str, str]:
    import os

    return {
        name: os.environ[name]
        for name in ("PATH", "HOME", "LANG", "TMPDIR", "PIP_INDEX_URL", "UV_INDEX_URL")
        if name in os.environ
    }


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


__all__ = ["envs_dir", "python_env"]
