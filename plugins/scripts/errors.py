"""Errors of the script tasks."""

from __future__ import annotations

from collections.abc import Sequence

from orchestrator.plugin import TaskFailedError
from plugins.errors import PluginError


class CommandFailedError(PluginError, TaskFailedError):
    """The command ended with a non-zero exit code; the message quotes the end of stderr."""

    def __init__(self, exit_code: int, stderr_tail: Sequence[str] = ()) -> None:
        if exit_code < 0:
            ended = f"Command was ended by signal {-exit_code}"
        else:
            ended = f"Command failed with exit code {exit_code}"
        message = ended
        if stderr_tail:
            message += "; last lines of stderr:\n" + "\n".join(stderr_tail)
        super().__init__(message, error_type="CommandFailed")
        self.exit_code = exit_code
        self.stderr_tail = tuple(stderr_tail)


__all__ = ["CommandFailedError"]
