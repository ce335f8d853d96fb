"""Errors of the SSH tasks."""

from __future__ import annotations

from collections.abc import Sequence

from orchestrator.plugin import TaskFailedError
from plugins.errors import PluginError


class SshError(PluginError, TaskFailedError):
    """An SSH task cannot connect, log in or run; the message names the task and the host."""


class SshCommandFailedError(SshError):
    """The remote commands ended with a non-zero exit code (or no exit code at all)."""

    def __init__(self, where: str, exit_code: int, stderr_tail: Sequence[str] = ()) -> None:
        if exit_code < 0:
            message = f"{where}: the session ended without an exit code (exit code {exit_code})"
        else:
            message = f"{where}: the commands failed with exit code {exit_code}"
        if stderr_tail:
            message += "; last lines of stderr:\n" + "\n".join(stderr_tail)
        super().__init__(message, retryable=False, error_type="CommandFailed")
        self.exit_code = exit_code
        self.stderr_tail = tuple(stderr_tail)


__all__ = ["SshCommandFailedError", "SshError"]
