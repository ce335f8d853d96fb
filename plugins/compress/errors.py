"""Errors of the compress tasks."""

from __future__ import annotations

from orchestrator.plugin import TaskFailedError
from plugins.errors import PluginError


class CompressError(PluginError, TaskFailedError):
    """An archive or compressed file could not be read or written (never worth a retry)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False, error_type="CompressError")


__all__ = ["CompressError"]
