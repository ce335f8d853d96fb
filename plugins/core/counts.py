"""Kestra's ``execution.Count``: how many executions of some flows, as Elasticsearch knows."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from orchestrator.models.base import KestrelModel
from orchestrator.models.state import StateType
from orchestrator.plugin import TaskFailedError, is_truthy
from orchestrator.tasks.base import RunnableTask

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class FlowRef(KestrelModel):
    """A flow by namespace and id."""

    namespace: str
    """The flow's namespace."""
    id: str
    """The flow's id."""


class Count(RunnableTask):
    """Count executions started between ``startDate`` and ``endDate``.

    Counts by flow, by namespace or in all, keeps the counts for which ``expression`` holds,
    and outputs them as ``results`` with their ``total``.

    Example:
        ```yaml
        - id: counts
          type: io.kestra.plugin.core.execution.Count
          flows:
            - namespace: company.team
              id: logs
          startDate: "{{ now() | dateAdd(-30, 'DAYS') }}"
          expression: "{{ count == 0 }}"
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.core.execution.Count"
    aliases: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.core.execution.Count",
        "io.kestra.plugin.core.execution.Counts",
    )

    flows: list[FlowRef] = Field(default_factory=list)
    """Count each of these flows."""
    namespaces: list[str] = Field(default_factory=list)
    """Else count each of these namespaces (and the ones under them)."""
    states: list[StateType] = Field(default_factory=list)
    """Only executions in one of these states (all when empty)."""
    start_date: str
    """Executions started at or after this date (rendered, ISO 8601)."""
    end_date: str | None = None
    """Executions started before this date (rendered, ISO 8601; default: now)."""
    expression: str
    """Rendered with ``count`` for each result; the results where it is true are kept."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Count through the execution index."""
        from orchestrator.repository import Repositories
        from orchestrator.repository.executions import ExecutionFilter
        from orchestrator.settings import load_settings

        start = iso_date(ctx.render_text(self.start_date, "startDate"), "startDate")
        end = (
            iso_date(ctx.render_text(self.end_date, "endDate"), "endDate")
            if self.end_date
            else None
        )
        groups: list[tuple[str | None, str | None]] = [(f.namespace, f.id) for f in self.flows]
        groups = groups or [(namespace, None) for namespace in self.namespaces] or [(None, None)]
        results = []
        try:
            with Repositories.from_settings(load_settings()) as repositories:
                for namespace, flow_id in groups:
                    criteria = ExecutionFilter(
                        namespace=namespace,
                        flow_id=flow_id,
                        states=tuple(self.states),
                        start=start,
                        end=end,
                    )
                    count = repositories.executions.count(criteria)
                    kept = ctx.render(self.expression, "expression", {"count": count})
                    if is_truthy(kept):
                        results.append({"namespace": namespace, "flowId": flow_id, "count": count})
        except TaskFailedError:
            raise
        except Exception as exc:  # the repository's typed errors, worded for the task
            raise TaskFailedError(f"cannot count executions: {exc}") from exc
        return {"results": results, "total": sum(result["count"] for result in results)}


def iso_date(text: str, name: str) -> datetime:
    """Parse an ISO 8601 date property (``Z`` accepted).

    Raises:
        TaskFailedError: not a date.
    """
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise TaskFailedError(f"{name} is not an ISO 8601 date: {text!r}") from exc


__all__ = ["Count", "FlowRef", "iso_date"]
