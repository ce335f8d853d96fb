"""Errors of the git tasks."""

from __future__ import annotations

from orchestrator.plugin import TaskFailedError
from plugins.errors import PluginError


class GitTaskError(PluginError, TaskFailedError):
    """A git command failed; the message names the task and the repository (no password)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message, retryable=retryable, error_type="GitError")


__all__ = ["GitTaskError"]
