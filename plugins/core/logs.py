"""Kestra's ``log.Fetch``: an execution's log lines, as Elasticsearch indexed them, to a file."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from orchestrator.models.log_level import LogLevel
from orchestrator.plugin import TaskFailedError
from orchestrator.tasks.base import RunnableTask

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class Fetch(RunnableTask):
    """Write the log lines of an execution (this one by default) to a file.

    Outputs ``uri`` and ``size`` (the number of lines). Lines are read from
    Elasticsearch, where the indexer puts them a moment after they are logged: the latest
    lines of a still running execution may not be there yet.

    Example:
        ```yaml
        - id: errors
          type: io.kestra.plugin.core.log.Fetch
          level: ERROR
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.core.log.Fetch"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.log.Fetch",)

    execution_id: str | None = None
    """The execution (rendered; default: this one)."""
    namespace: str | None = None
    """Accepted for Kestra flows: the execution id alone names the execution."""
    flow_id: str | None = None
    """Accepted for Kestra flows: the execution id alone names the execution."""
    tasks_id: list[str] = Field(default_factory=list)
    """Only lines of these tasks (all when empty)."""
    level: LogLevel = LogLevel.INFO
    """The least severe level kept."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Read the lines and store them, one JSON object per line (valid Ion)."""
        from orchestrator.repository import Repositories
        from orchestrator.repository.logs import LogFilter
        from orchestrator.settings import load_settings

        execution_id = (
            ctx.render_text(self.execution_id, "executionId")
            if self.execution_id
            else ctx.task_run.execution_id
        )
        wanted = {str(each) for each in ctx.render(self.tasks_id, "tasksId")}
        criteria = LogFilter(execution_id=execution_id, min_level=self.level)
        lines = []
        try:
            with Repositories.from_settings(load_settings()) as repositories:
                for hit in repositories.logs.iterate(criteria):
                    if not wanted or hit.entry.task_id in wanted:
                        lines.append(json.dumps(hit.entry.to_json_dict(), separators=(",", ":")))
        except Exception as exc:  # the repository's typed errors, worded for the task
            raise TaskFailedError(f"cannot read the logs of {execution_id}: {exc}") from exc
        with ctx.working_directory() as folder:
            path = folder / ".kestrel-logs"
            path.write_text("".join(line + "\n" for line in lines))
            uri = ctx.put_file(path, "logs.ion")
        return {"uri": uri, "size": len(lines)}


__all__ = ["Fetch"]
