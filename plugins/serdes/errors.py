"""Errors of the serdes tasks."""

from __future__ import annotations

from orchestrator.plugin import TaskFailedError
from plugins.errors import PluginError


class SerdesError(PluginError, TaskFailedError):
    """A file could not be read or written in the asked format (never worth a retry)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False, error_type="SerdesError")


__all__ = ["SerdesError"]
