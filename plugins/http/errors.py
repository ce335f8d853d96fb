"""Errors of the HTTP tasks."""

from __future__ import annotations

from orchestrator.plugin import TaskFailedError
from plugins.errors import PluginError


class HttpFailedError(PluginError, TaskFailedError):
    """The server answered with a code the task does not accept."""

    def __init__(self, code: int, uri: str) -> None:
        super().__init__(
            f"Failed http request with response code '{code}' from {uri}", error_type="HttpError"
        )
        self.code = code


class HttpTransportError(PluginError, TaskFailedError):
    """The request could not be sent or its answer could not be read (including timeouts)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, error_type="HttpTransportError")


__all__ = ["HttpFailedError", "HttpTransportError"]
