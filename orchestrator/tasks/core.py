"""Runnable core tasks: Log, Return, Echo, OutputValues, Fail, Labels.

Workers run them (and ``kestrel flow test`` runs them in-process) through `run`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from orchestrator.models.labels import label_text
from orchestrator.tasks.base import LogLevel, RunnableTask

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class Log(RunnableTask):
    """Write one message, or several, to the execution's logs at ``level``."""

    type_name: ClassVar[str] = "kestrel.core.log.Log"

    message: str | list[str]
    level: LogLevel = LogLevel.INFO

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Render and log each message."""
        messages = self.message if isinstance(self.message, list) else [self.message]
        for index, message in enumerate(messages):
            path = f"message[{index}]" if isinstance(self.message, list) else "message"
            ctx.logger.log(self.level, ctx.render_text(message, path))
        return None


class Return(RunnableTask):
    """Render ``format`` and return it as the output ``value``."""

    type_name: ClassVar[str] = "kestrel.core.debug.Return"

    format: str | None = None

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Return the rendered ``format`` as ``value``."""
        value = None if self.format is None else ctx.render_text(self.format, "format")
        ctx.logger.debug(f"Return: {value}")
        return {"value": value}


class Echo(RunnableTask):
    """Render ``format`` and log it (Kestra's deprecated Echo, kept for old flows)."""

    type_name: ClassVar[str] = "kestrel.core.debug.Echo"

    format: str
    level: LogLevel = LogLevel.INFO

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Log the rendered ``format``."""
        ctx.logger.log(self.level, ctx.render_text(self.format, "format"))
        return None


class OutputValues(RunnableTask):
    """Render ``values`` and return them as the output ``values``."""

    type_name: ClassVar[str] = "kestrel.core.output.OutputValues"

    values: dict[str, Any] = Field(default_factory=dict)

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Return the rendered ``values``."""
        return {"values": ctx.render(self.values, "values")}


class Fail(RunnableTask):
    """Fail the task run, always or when ``condition`` renders to true."""

    type_name: ClassVar[str] = "kestrel.core.execution.Fail"

    condition: str | bool | None = None
    error_message: str = "Task failure"

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Raise `TaskFailedError` unless a ``condition`` is given and renders false."""
        from orchestrator.plugin import TaskFailedError, is_truthy

        if self.condition is not None:
            condition = ctx.render(self.condition, "condition")
            if not is_truthy(condition):
                return None
        raise TaskFailedError(ctx.render_text(self.error_message, "errorMessage"))


class Labels(RunnableTask):
    """Add labels to the running execution (a map, a list of key/value, or a JSON template).

    The task returns the rendered labels as the output ``labels``; the engine applies them.
    """

    type_name: ClassVar[str] = "kestrel.core.execution.Labels"

    labels: dict[str, Any] | list[dict[str, Any]] | str

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Render the labels and return them as a list of ``{key, value}``."""
        from orchestrator.plugin import TaskFailedError

        rendered = ctx.render(self.labels, "labels")
        if isinstance(rendered, str):
            try:
                rendered = json.loads(rendered)
            except json.JSONDecodeError as exc:
                raise TaskFailedError(f"labels is not a JSON map or list: {exc}") from exc
        if isinstance(rendered, dict):
            pairs = [(str(key), value) for key, value in rendered.items()]
        elif isinstance(rendered, list) and all(isinstance(item, dict) for item in rendered):
            pairs = [(str(item.get("key")), item.get("value")) for item in rendered]
        else:
            raise TaskFailedError("labels must be a map or a list of {key, value}")
        if any(key in ("", "None") for key, _ in pairs):
            raise TaskFailedError("every label needs a key")
        return {"labels": [{"key": key, "value": label_text(value)} for key, value in pairs]}
