"""Errors of the notification tasks."""

from __future__ import annotations

from orchestrator.plugin import TaskFailedError
from plugins.errors import PluginError


class NotificationError(PluginError, TaskFailedError):
    """A message could not be delivered; the message names the task and the endpoint."""


class WebhookError(NotificationError):
    """The webhook could not be reached, or answered with an error."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message, retryable=retryable, error_type="WebhookError")


class MailError(NotificationError):
    """The SMTP server could not be reached, refused the login or the message."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message, retryable=retryable, error_type="MailError")


__all__ = ["MailError", "NotificationError", "WebhookError"]
