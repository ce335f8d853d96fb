"""Optional drivers: a plugin family's client library lives in an extra of the package.

The core install stays lean: ``pip install kestrelflow`` validates every flow and knows
every task's schema, and ``pip install kestrelflow[jdbc]`` (or ``[notifications]``,
``[messaging]``...) brings the driver a family needs to *run*. A task imports its driver
through `require` at run time, never at module import, so a missing extra fails the task
run with the command that fixes it instead of breaking validation.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from orchestrator.plugin import TaskFailedError
from plugins.errors import PluginError


class MissingExtraError(PluginError, TaskFailedError):
    """A task's driver is not installed; the message names the extra that brings it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


def require(module: str, *, extra: str, task_type: str) -> ModuleType:
    """Import ``module`` (a driver) or fail the task with the extra to install.

    Args:
        module: the driver's import name, for example ``"psycopg"``.
        extra: the kestrelflow extra that installs it, for example ``"jdbc"``.
        task_type: the task or trigger type asking, named in the message.

    Raises:
        MissingExtraError: the driver is not importable.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"install kestrelflow[{extra}] to use {task_type} (missing module {module!r}: {exc})"
        ) from exc
