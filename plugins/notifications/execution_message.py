"""What the ``*Execution`` tasks share: which execution, and the facts told about it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from orchestrator.models.base import KestrelModel
from plugins.notifications.summary import ExecutionSummary, read_summary

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

STATE_COLORS = {"SUCCESS": "#5dce5d", "WARNING": "#ffb700", "FAILED": "#e1341d"}
"""Colour of a message by the execution's state (grey otherwise)."""
DEFAULT_COLOR = "#9e9e9e"


class ExecutionMessage(KestrelModel):
    """Properties of a message about an execution (Kestra's ``*Execution`` tasks)."""

    execution_id: str = "{{ execution.id }}"
    """The execution (rendered): ``{{ trigger.executionId }}`` under a Flow trigger."""
    custom_message: str | None = None
    """A sentence added to the message (rendered, with ``execution`` the summary)."""
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    """More facts shown with the summary's (rendered)."""

    def summary(self, ctx: RunContext) -> tuple[ExecutionSummary, str | None, dict[str, str]]:
        """Read the execution; render the custom message and fields with its summary."""
        summary = read_summary(ctx, ctx.render_text(self.execution_id, "executionId"))
        extra = {"execution": {**summary.as_variables()}}
        message = (
            ctx.render_text(self.custom_message, "customMessage", extra)
            if self.custom_message
            else None
        )
        fields = {
            str(name): str(value)
            for name, value in ctx.render(self.custom_fields, "customFields", extra).items()
        }
        return summary, message, fields


def headline(summary: ExecutionSummary) -> str:
    """One line: flow and state."""
    return f"[{summary.namespace}] {summary.flow_id} ➛ {summary.state}"


def facts(summary: ExecutionSummary, custom: dict[str, str]) -> list[tuple[str, str]]:
    """The summary's facts in display order, then the custom fields."""
    rows = [
        ("Namespace", summary.namespace),
        ("Flow ID", summary.flow_id),
        ("Execution ID", summary.id),
        ("Execution Status", summary.state),
    ]
    if summary.start_date is not None:
        rows.append(("Start Date", summary.start_date.isoformat()))
    duration = summary.as_variables()["duration"]
    if duration:
        rows.append(("Duration", duration))
    if summary.last_task_id:
        rows.append(("Last task ID", summary.last_task_id))
    failed = [task for task, state in summary.task_states.items() if state in ("FAILED", "KILLED")]
    if failed:
        rows.append(("Failed tasks", ", ".join(failed)))
    rows.extend(custom.items())
    return rows


def color(summary: ExecutionSummary) -> str:
    """The state's colour, ``#rrggbb``."""
    return STATE_COLORS.get(summary.state, DEFAULT_COLOR)


__all__ = ["ExecutionMessage", "color", "facts", "headline"]
