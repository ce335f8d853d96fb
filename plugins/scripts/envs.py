"""Cached environments of script dependencies: one Python venv per dependency set.

A Python task's ``dependencies`` are installed once into a virtual environment named by a
hash of the interpreter and the sorted dependency list; later runs with the same set reuse
it. The environment is built under a file lock and marked ready last, so concurrent task
runs (threads or worker processes) never use a half-built one.
Installing uses ``uv`` when it is on the PATH, else the venv's own pip. A task's
``pythonVersion`` picks the interpreter of the environment (`find_interpreter`): the
worker's own when it matches, else ``pythonX.Y`` on the PATH, else one ``uv`` provides.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
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


def python_env(
    ctx: RunContext,
    dependencies: Sequence[str],
    cache: bool = True,
    python_version: str | None = None,
) -> Path:
    """Return a virtual environment with ``dependencies`` installed (built on first use).

    Args:
        ctx: the run context (logs and cancellation).
        dependencies: pip requirement specifiers.
        cache: reuse the environment of the same dependency set (else build a fresh one
            under the same lock and replace the cached one).
        python_version: the Python the environment runs (``3.12``; default: the worker's).

    Raises:
        TaskFailedError: the environment could not be built or a dependency installed, or
            no interpreter of ``python_version`` is found.
    """
    wanted = sorted({each.strip() for each in dependencies if each.strip()})
    interpreter = find_interpreter(python_version)
    create = [interpreter, "-m", "venv"]
    if interpreter == "":  # no local interpreter: uv provides one (checked by find_interpreter)
        create = [str(shutil.which("uv")), "venv", "--python", str(python_version)]
    identity = [interpreter or f"uv:{python_version}", wanted]
    key = hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:16]
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
            _run(ctx, [*create, str(target)], root, "create the venv")
            if wanted:
                _install(ctx, target, wanted, root)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        (target / _READY).write_text(json.dumps(wanted))
    return target


def find_interpreter(version: str | None) -> str:
    """The interpreter of Python ``version`` (``3``, ``3.11`` or ``3.11.4``).

    Returns the worker's own interpreter when it matches (or when ``version`` is None),
    else a ``pythonX.Y`` of the PATH whose version matches, else ``""`` when ``uv`` is on
    the PATH to provide the version.

    Raises:
        TaskFailedError: ``version`` is not a version, or no interpreter provides it.
    """
    if version is None or not version.strip():
        return sys.executable
    wanted = version.strip()
    if not re.fullmatch(r"\d+(\.\d+){0,2}", wanted):
        raise TaskFailedError(
            f"pythonVersion {wanted!r} is not a version such as 3.12", retryable=False
        )
    own = ".".join(str(part) for part in sys.version_info[:3])
    if _matches(own, wanted):
        return sys.executable
    major_minor = ".".join(wanted.split(".")[:2])
    for name in dict.fromkeys([f"python{major_minor}", f"python{wanted.split('.')[0]}"]):
        found = shutil.which(name)
        if found and _matches(_version_of(found), wanted):
            return found
    if shutil.which("uv") is not None:
        return ""
    raise TaskFailedError(
        f"Python {wanted} is not installed on this worker (it runs Python {own}); install "
        f"python{major_minor} on the worker, or uv so that it provides the version",
        retryable=False,
        error_type="PythonVersionUnavailable",
    )


def _matches(actual: str, wanted: str) -> bool:
    return actual == wanted or actual.startswith(f"{wanted}.")


def _version_of(interpreter: str) -> str:
    import subprocess

    try:
        done = subprocess.run(
            [interpreter, "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


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


__all__ = ["envs_dir", "find_interpreter", "python_env"]
