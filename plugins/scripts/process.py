"""Running a command as a subprocess in its own process group.

The command is the leader of a new session, so every process it starts (pipelines,
background jobs) shares its process group. A kill, a timeout, or the command ending with
children still running, ends the whole group: SIGTERM, then SIGKILL after a grace period.
Output is read line by line by two threads and handed over as it is produced.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

LineHandler = Callable[[str], None]
"""Receives one line of output, without its line ending."""

MAX_LINE_BYTES = 1024 * 1024
"""Longer lines are handed over in pieces of this size."""

DEFAULT_GRACE_SECONDS = 5.0
"""Time between SIGTERM and SIGKILL when a process group is ended."""

_CANCEL_POLL_SECONDS = 0.1
_GROUP_POLL_SECONDS = 0.02
_AFTER_KILL_SECONDS = 5.0
_READER_JOIN_SECONDS = 5.0


@dataclass(frozen=True)
class ProcessResult:
    """How a command ended."""

    exit_code: int
    """The exit status; minus the signal number when a signal ended it."""
    cancelled: bool
    """Whether the command was ended because cancellation was requested."""


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    on_stdout: LineHandler,
    on_stderr: LineHandler,
    cancelled: threading.Event,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    on_started: Callable[[int], None] | None = None,
) -> ProcessResult:
    """Run ``argv`` to its end, or until ``cancelled`` is set, and end its process group.

    Args:
        argv: the program and its arguments.
        cwd: the working directory.
        env: the complete environment of the command.
        on_stdout: called with each line written to stdout, as it is written.
        on_stderr: called with each line written to stderr, as it is written.
        cancelled: when set, the process group is ended.
        grace_seconds: time the group gets to exit after SIGTERM before SIGKILL.
        on_started: called with the process group id once the command runs.

    Raises:
        OSError: the command could not be started.
        Exception: the first exception a line handler raised (after the command ended).
    """
    process = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    pgid = process.pid  # the leader of a new session leads its process group
    errors: list[BaseException] = []
    assert process.stdout is not None and process.stderr is not None
    readers = [
        _start_reader(process.stdout, on_stdout, errors, f"stdout-{pgid}"),
        _start_reader(process.stderr, on_stderr, errors, f"stderr-{pgid}"),
    ]
    finished = threading.Event()

    def watch() -> None:
        while not finished.is_set():
            if cancelled.wait(_CANCEL_POLL_SECONDS):
                terminate_group(pgid, grace_seconds)
                return

    watcher = threading.Thread(target=watch, name=f"watch-{pgid}", daemon=True)
    watcher.start()
    try:
        if on_started is not None:
            on_started(pgid)
        exit_code = process.wait()
    except BaseException:
        finished.set()
        terminate_group(pgid, grace_seconds)
        process.wait()
        raise
    finished.set()
    if cancelled.is_set():
        watcher.join()
    # Children left behind (``cmd &``) would hold the pipes open and outlive the task.
    terminate_group(pgid, grace_seconds)
    for reader in readers:
        reader.join(_READER_JOIN_SECONDS)
    if errors:
        raise errors[0]
    return ProcessResult(exit_code=exit_code, cancelled=cancelled.is_set())


def terminate_group(pgid: int, grace_seconds: float = DEFAULT_GRACE_SECONDS) -> None:
    """End process group ``pgid``: SIGTERM, then SIGKILL if it is still there after the grace.

    Returns once no live process is left in the group (or after a last bounded wait).
    """
    if not group_alive(pgid) or not _signal_group(pgid, signal.SIGTERM):
        return
    if _wait_group_gone(pgid, grace_seconds):
        return
    _signal_group(pgid, signal.SIGKILL)
    _wait_group_gone(pgid, _AFTER_KILL_SECONDS)


def group_alive(pgid: int) -> bool:
    """Whether process group ``pgid`` has a process that is not a zombie.

    Zombies (ended, waiting for their parent to collect them) are not counted, so a group
    is seen as gone as soon as its processes exited, however slow the reaper is.
    """
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():
        return True  # no process table to read: any member, zombie or not, counts
    for entry in os.scandir(proc):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue  # exited while scanning
        # ``pid (comm) state ppid pgrp ...``; comm may hold spaces and parentheses.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) >= 3 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            return True
    return False


def _signal_group(pgid: int, signum: signal.Signals) -> bool:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    return True


def _wait_group_gone(pgid: int, seconds: float) -> bool:
    # No system call waits for a whole process group (its members are not all our
    # children), so the group is polled at a short interval until the deadline.
    deadline = time.monotonic() + seconds
    while group_alive(pgid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(_GROUP_POLL_SECONDS)
    return True


def _start_reader(
    stream: IO[bytes], handle: LineHandler, errors: list[BaseException], name: str
) -> threading.Thread:
    def pump() -> None:
        with stream:
            for raw in iter(lambda: stream.readline(MAX_LINE_BYTES), b""):
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                try:
                    handle(line)
                except Exception as exc:  # keep draining: a full pipe would block the command
                    if not errors:
                        errors.append(exc)

    thread = threading.Thread(target=pump, name=name, daemon=True)
    thread.start()
    return thread


__all__ = [
    "DEFAULT_GRACE_SECONDS",
    "LineHandler",
    "ProcessResult",
    "group_alive",
    "run_process",
    "terminate_group",
]
