"""Runnable core tasks: Log, Return, Echo, OutputValues, Fail, Labels.

These are the models; workers run them (and ``kestrel flow test`` runs them in-process).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from orchestrator.tasks.base import LogLevel, RunnableTask


class Log(RunnableTask):
    """Write one message, or several, to the execution's logs at ``level``."""

    type_name: ClassVar[str] = "kestrel.core.log.Log"

    message: str | list[str]
    level: LogLevel = LogLevel.INFO


class Return(RunnableTask):
    """Render ``format`` and return it as the output ``value``."""

    type_name: ClassVar[str] = "kestrel.core.debug.Return"

    format: str | None = None


class Echo(RunnableTask):
    """Render ``format`` and log it (Kestra's deprecated Echo, kept for old flows)."""

    type_name: ClassVar[str] = "kestrel.core.debug.Echo"

    format: str
    level: LogLevel = LogLevel.INFO


class OutputValues(RunnableTask):
    """Render ``values`` and return them as the output ``values``."""

    type_name: ClassVar[str] = "kestrel.core.output.OutputValues"

    values: dict[str, Any] = Field(default_factory=dict)


class Fail(RunnableTask):
    """Fail the task run, always or when ``condition`` renders to true."""

    type_name: ClassVar[str] = "kestrel.core.execution.Fail"

    condition: str | bool | None = None
    error_message: str = "Task failure"


class Labels(RunnableTask):
    """Add labels to the running execution (a map, a list of key/value, or a JSON template)."""

    type_name: ClassVar[str] = "kestrel.core.execution.Labels"

    labels: dict[str, Any] | list[dict[str, Any]] | str
