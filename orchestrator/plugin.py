"""The public API for task plugins: what a task's ``run`` receives and may raise.

A runnable task implements ``run(self, ctx: RunContext) -> dict | None``: it renders its
properties through ``ctx.render``, logs through ``ctx.logger``, and returns its outputs.
A failure is raised as `TaskFailedError`; any other exception fails the task too, with its
type and message. Plugins import only from this module (and the task base classes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from orchestrator.errors import OrchestratorError
from orchestrator.models.execution import TaskRun
from orchestrator.models.messages import LogEntry
from orchestrator.tasks.base import LogLevel, RunnableTask, Task
from orchestrator.templating import TemplateRenderer

MASK = "******"
_FALSE_TEXTS = frozenset({"", "false", "0", "-0", "null", "none"})

LogSink = Callable[[LogEntry], None]


class TaskFailedError(OrchestratorError):
    """A task run failed; ``retryable`` says whether a retry policy may run it again."""

    def __init__(self, message: str, *, retryable: bool = True, error_type: str | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.error_type = error_type or type(self).__name__


def is_truthy(value: Any) -> bool:
    """Kestra's truth of a rendered condition: false for ``false``, ``0``, empty or null."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int | float):
        return value != 0
    return str(value).strip().lower() not in _FALSE_TEXTS


class TaskLogger:
    """Logs of one task run: masks revealed secrets and drops lines below ``logLevel``."""

    def __init__(self, context: RunContext, sink: LogSink, minimum: LogLevel | None) -> None:
        self._context = context
        self._sink = sink
        self._minimum = minimum

    def log(self, level: LogLevel, message: str) -> None:
        """Emit ``message`` at ``level`` (unless below the task's ``logLevel``)."""
        if self._minimum is not None and level.rank < self._minimum.rank:
            return
        run = self._context.task_run
        self._sink(
            LogEntry(
                execution_id=run.execution_id,
                namespace=run.namespace,
                flow_id=run.flow_id,
                task_id=run.task_id,
                task_run_id=run.id,
                attempt=self._context.attempt,
                level=level,
                message=self._context.mask(message),
                source=self._context.worker_id,
            )
        )

    def trace(self, message: str) -> None:
        """Log at TRACE."""
        self.log(LogLevel.TRACE, message)

    def debug(self, message: str) -> None:
        """Log at DEBUG."""
        self.log(LogLevel.DEBUG, message)

    def info(self, message: str) -> None:
        """Log at INFO."""
        self.log(LogLevel.INFO, message)

    def warn(self, message: str) -> None:
        """Log at WARN."""
        self.log(LogLevel.WARN, message)

    def error(self, message: str) -> None:
        """Log at ERROR."""
        self.log(LogLevel.ERROR, message)


class RunContext:
    """Everything a task run may use: its variables, rendering, logging and cancellation."""

    def __init__(
        self,
        *,
        task: Task,
        task_run: TaskRun,
        attempt: int,
        variables: Mapping[str, Any],
        renderer: TemplateRenderer,
        log_sink: LogSink,
        worker_id: str | None = None,
    ) -> None:
        """Create the context of one attempt of ``task_run``."""
        self.task = task
        self.task_run = task_run
        self.attempt = attempt
        self.variables = variables
        self.worker_id = worker_id
        self.cancelled = threading.Event()
        self._renderer = renderer
        self._secrets: set[str] = set()
        self.logger = TaskLogger(self, log_sink, task.log_level)

    def render(self, value: Any, property_path: str) -> Any:
        """Render ``value`` (strings, and recursively dicts and lists) with the variables.

        Raises:
            TemplateError: naming this task and ``property_path``.
        """
        return self._renderer.render_recursive(
            value,
            self.variables,
            task_id=self.task_run.task_id,
            property_path=property_path,
            used_secrets=self._secrets,
        )

    def render_text(self, value: Any, property_path: str) -> str:
        """Render ``value`` and return it as text."""
        rendered = self.render(value, property_path)
        return rendered if isinstance(rendered, str) else str(rendered)

    def mask(self, text: str) -> str:
        """Replace every secret value revealed while rendering by a mask."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret:
                text = text.replace(secret, MASK)
        return text

    def mask_value(self, value: Any) -> Any:
        """Mask secrets in a structure of outputs (strings inside dicts and lists)."""
        if not self._secrets:
            return value
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return {key: self.mask_value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.mask_value(item) for item in value]
        return value


__all__ = [
    "MASK",
    "LogLevel",
    "LogSink",
    "RunContext",
    "RunnableTask",
    "Task",
    "TaskFailedError",
    "TaskLogger",
    "is_truthy",
]
