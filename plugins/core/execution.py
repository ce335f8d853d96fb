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


class Resume(RunnableTask):
    """Resume a PAUSED execution (its paused tasks), giving its Pause ``inputs``.

    ``executionId`` defaults to the execution that started this one (a subflow's parent,
    from ``trigger.executionId``), else to this execution. The command goes to Kafka, so
    the task needs a cluster (not ``kestrel flow test``).

    Example:
        ```yaml
        - id: approve
          type: io.kestra.plugin.core.execution.Resume
          executionId: "{{ inputs.waiting }}"
          inputs:
            approver: bot
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.core.execution.Resume"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.execution.Resume",)

    execution_id: str | None = None
    """The execution to resume (rendered)."""
    namespace: str | None = None
    """Accepted for Kestra flows: the execution id alone names the execution."""
    flow_id: str | None = None
    """Accepted for Kestra flows: the execution id alone names the execution."""
    inputs: dict[str, Any] = Field(default_factory=dict)
    """Values for the Pause's ``onResume`` inputs (rendered)."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Send the resume command."""
        from orchestrator.kafka import TOPICS, send_command
        from orchestrator.models.messages import ResumeExecution
        from orchestrator.settings import load_settings

        if self.execution_id is not None:
            target = ctx.render_text(self.execution_id, "executionId")
        else:
            trigger = ctx.variables.get("trigger") or {}
            target = str(trigger.get("executionId") or ctx.task_run.execution_id)
        inputs = ctx.render(self.inputs, "inputs")
        command = ResumeExecution(execution_id=target, inputs=inputs)
        try:
            send_command(load_settings(), TOPICS.execution_commands, target, command)
        except Exception as exc:  # the Kafka wrappers' typed errors, worded for the task
            raise TaskFailedError(f"cannot send the resume of {target}: {exc}") from exc
        ctx.logger.info(f"asked execution {target} to resume")
        return {"executionId": target}


__all__ = ["Assert", "Resume", "TemplatedTask"]
