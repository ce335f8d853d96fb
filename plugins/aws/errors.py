"""Errors of the AWS tasks."""

from __future__ import annotations

from orchestrator.plugin import TaskFailedError
from plugins.errors import PluginError


class AwsTaskError(PluginError, TaskFailedError):
    """S3 refused a request or could not be reached (the message names both, no secret)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message, retryable=retryable, error_type="AwsError")


__all__ = ["AwsTaskError"]
