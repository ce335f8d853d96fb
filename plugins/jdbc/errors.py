"""Errors of the JDBC tasks and triggers."""

from __future__ import annotations

from orchestrator.plugin import TaskFailedError
from plugins.errors import PluginError


class JdbcError(PluginError, TaskFailedError):
    """A database task failed; the message names the task and the server, never a password."""


class JdbcConnectionError(JdbcError):
    """The server could not be reached or refused the credentials."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=True, error_type="JdbcConnectionError")


class JdbcQueryError(JdbcError):
    """The server refused or failed a statement (bad SQL, a missing table...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False, error_type="JdbcQueryError")


class JdbcUrlError(JdbcError):
    """The ``url`` is not a JDBC URL of the task's database."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False, error_type="JdbcUrlError")


__all__ = ["JdbcConnectionError", "JdbcError", "JdbcQueryError", "JdbcUrlError"]
