"""Errors of the Elasticsearch tasks."""

from __future__ import annotations

from orchestrator.plugin import TaskFailedError
from plugins.errors import PluginError


class ElasticsearchTaskError(PluginError, TaskFailedError):
    """Elasticsearch refused a request or could not be reached (the message names both)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message, retryable=retryable, error_type="ElasticsearchError")


__all__ = ["ElasticsearchTaskError"]
