"""Kestra's ``trigger.Toggle``: enable or disable a trigger from a flow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from orchestrator.plugin import TaskFailedError
from orchestrator.tasks.base import RunnableTask

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class Toggle(RunnableTask):
    """Enable or disable a trigger of a flow (this flow by default).

    The command goes to the scheduler through ``trigger-commands``, as ``kestrel trigger
    enable|disable`` sends it; the task fails when the flow does not declare the trigger.

    Example:
        ```yaml
        - id: disable
          type: io.kestra.plugin.core.trigger.Toggle
          trigger: schedule
          enabled: false
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.core.trigger.Toggle"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.trigger.Toggle",)

    namespace: str | None = None
    """The flow's namespace (rendered; default: this flow's)."""
    flow_id: str | None = None
    """The flow (rendered; default: this flow)."""
    trigger: str
    """The trigger's id (rendered)."""
    enabled: bool = False
    """Enable (true) or disable (false) the trigger."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Check the trigger exists, then send the command."""
        from orchestrator.scheduler.client import set_enabled
        from orchestrator.scheduler.errors import SchedulerError
        from orchestrator.settings import load_settings

        run = ctx.task_run
        namespace = ctx.render_text(self.namespace, "namespace") if self.namespace else None
        flow_id = ctx.render_text(self.flow_id, "flowId") if self.flow_id else run.flow_id
        namespace = namespace or run.namespace
        trigger = ctx.render_text(self.trigger, "trigger")
        try:
            set_enabled(load_settings(), namespace, flow_id, trigger, self.enabled)
        except SchedulerError as exc:
            raise TaskFailedError(str(exc), retryable=False) from exc
        except Exception as exc:  # the Kafka wrappers' typed errors, worded for the task
            raise TaskFailedError(
                f"cannot toggle trigger {namespace}.{flow_id}.{trigger}: {exc}"
            ) from exc
        action = "enabled" if self.enabled else "disabled"
        ctx.logger.info(f"trigger {namespace}.{flow_id}.{trigger} {action}")
        return None


__all__ = ["Toggle"]
