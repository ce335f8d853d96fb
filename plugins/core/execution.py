"""Kestra's ``execution.Assert`` and ``templating.TemplatedTask``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import yaml
from pydantic import Field, ValidationError

from orchestrator.plugin import TaskFailedError, is_truthy
from orchestrator.tasks.base import TASK_TYPES, RunnableTask

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class Assert(RunnableTask):
    """Fail when any of ``conditions`` renders false; each failing one is logged.

    Example:
        ```yaml
        - id: check
          type: io.kestra.plugin.core.execution.Assert
          conditions:
            - "{{ outputs.api.code == 200 }}"
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.core.execution.Assert"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.execution.Assert",)

    conditions: list[str | bool] = Field(min_length=1)
    """Expressions that must all be true."""
    error_message: str | None = None
    """The failure message (default: how many conditions failed)."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Render each condition; fail listing the false ones."""
        failed = 0
        for index, condition in enumerate(self.conditions):
            value = ctx.render(condition, f"conditions[{index}]")
            if not is_truthy(value):
                failed += 1
                ctx.logger.error(f"Assertion `{condition}` failed!")
        if failed:
            message = (
                ctx.render_text(self.error_message, "errorMessage")
                if self.error_message
                else f"{failed} assertion(s) failed"
            )
            raise TaskFailedError(message, retryable=False, error_type="AssertionFailed")
        return None


class TemplatedTask(RunnableTask):
    """Render ``spec`` (a task in YAML) and run it: a task whose definition is a template.

    Example:
        ```yaml
        - id: templated
          type: io.kestra.plugin.core.templating.TemplatedTask
          spec: |
            type: io.kestra.plugin.core.log.Log
            message: "{{ inputs.message }}"
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.core.templating.TemplatedTask"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.templating.TemplatedTask",)

    spec: str
    """The task's YAML (without ``id``), rendered first; it must be a runnable task."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Render, validate and run the task the spec describes."""
        text = ctx.render_text(self.spec, "spec")
        try:
            body = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise TaskFailedError(f"spec is not valid YAML: {exc}", retryable=False) from exc
        if not isinstance(body, dict) or "type" not in body:
            raise TaskFailedError("spec must be a task: a map with a 'type'", retryable=False)
        body = {**body, "id": self.id}
        try:
            task = TASK_TYPES.resolve(str(body["type"])).model_validate(body)
        except (ValidationError, ValueError) as exc:
            raise TaskFailedError(f"spec is not a valid task: {exc}", retryable=False) from exc
        if not isinstance(task, RunnableTask):
            raise TaskFailedError(f"spec must be a runnable task, not {task.type}")
        return task.run(ctx)


__all__ = ["Assert", "TemplatedTask"]
