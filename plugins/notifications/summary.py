"""An execution's summary for the ``*Execution`` notification tasks, with its UI link.

The execution is read from the execution index (as ``log.Fetch`` and ``execution.Count``
read theirs). A Flow trigger fires when an execution ends, a moment before the indexer
has written that end: the summary waits a little for the index to know the execution,
and for the current execution it falls back to the run's own variables.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from orchestrator.models.execution import Execution
from plugins.notifications.errors import NotificationError

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

INDEX_WAIT_SECONDS = 10.0
"""How long to wait for the index to know another execution."""


@dataclass(frozen=True)
class ExecutionSummary:
    """What a notification says about an execution."""

    id: str
    namespace: str
    flow_id: str
    state: str
    link: str
    start_date: datetime | None = None
    duration: timedelta | None = None
    task_states: dict[str, str] = field(default_factory=dict)
    last_task_id: str | None = None

    def as_variables(self) -> dict[str, Any]:
        """The summary as template variables and custom fields see it."""
        return {
            "id": self.id,
            "namespace": self.namespace,
            "flowId": self.flow_id,
            "state": self.state,
            "link": self.link,
            "startDate": self.start_date.isoformat() if self.start_date else None,
            "duration": human_duration(self.duration),
            "taskStates": self.task_states,
            "lastTaskId": self.last_task_id,
        }


def human_duration(duration: timedelta | None) -> str | None:
    """``1h 2m 3.4s`` style, or None."""
    if duration is None:
        return None
    seconds = duration.total_seconds()
    hours, rest = divmod(seconds, 3600)
    minutes, rest = divmod(rest, 60)
    parts = [f"{int(hours)}h"] if hours else []
    if hours or minutes:
        parts.append(f"{int(minutes)}m")
    parts.append(f"{rest:.1f}s")
    return " ".join(parts)


def execution_link(base_url: str, namespace: str, flow_id: str, execution_id: str) -> str:
    """The execution's page in the UI."""
    return f"{base_url.rstrip('/')}/ui/executions/{namespace}/{flow_id}/{execution_id}"


def summary_of(execution: Execution, base_url: str) -> ExecutionSummary:
    """Summarise an execution as indexed."""
    runs = sorted(
        execution.task_run_list,
        key=lambda run: run.state.start_date.timestamp() if run.state.start_date else 0.0,
    )
    last = runs[-1].task_id if runs else None
    failed = [run.task_id for run in runs if run.state.current.is_failed]
    return ExecutionSummary(
        id=execution.id,
        namespace=execution.namespace,
        flow_id=execution.flow_id,
        state=execution.state.current.value,
        link=execution_link(base_url, execution.namespace, execution.flow_id, execution.id),
        start_date=execution.state.start_date,
        duration=execution.state.duration,
        task_states={run.task_id: run.state.current.value for run in runs},
        last_task_id=failed[-1] if failed else last,
    )


def ui_base_url(ctx: RunContext) -> str:
    """Kestra's ``kestra.url`` variable if set, else the ``webserver.public_url`` setting."""
    kestra = ctx.variables.get("kestra")
    if isinstance(kestra, dict) and kestra.get("url"):
        return str(kestra["url"])
    from orchestrator.settings import load_settings

    webserver = load_settings().webserver
    return webserver.public_url or f"http://{webserver.host}:{webserver.port}"


def read_summary(ctx: RunContext, execution_id: str) -> ExecutionSummary:
    """The summary of ``execution_id`` (the current execution or another one).

    Raises:
        NotificationError: the index cannot be read, or does not know the execution.
    """
    base_url = ui_base_url(ctx)
    current = execution_id == ctx.task_run.execution_id
    try:
        execution = _indexed(ctx, execution_id, 0.0 if current else INDEX_WAIT_SECONDS)
    except NotificationError as exc:
        if not current:
            raise
        # The run's own variables tell about the current execution well enough.
        ctx.logger.warn(f"{exc}; the summary comes from this run's variables")
        execution = None
    if execution is not None:
        return summary_of(execution, base_url)
    if current:
        return _from_variables(ctx, base_url)
    raise NotificationError(
        f"task '{ctx.task_run.task_id}': execution {execution_id} is not in the execution index",
        retryable=True,
    )


def _indexed(ctx: RunContext, execution_id: str, wait: float) -> Execution | None:
    from orchestrator.repository import Repositories
    from orchestrator.settings import load_settings

    deadline = time.monotonic() + wait
    try:
        with Repositories.from_settings(load_settings()) as repositories:
            while True:
                execution = repositories.executions.get(execution_id)
                if execution is not None or time.monotonic() >= deadline:
                    return execution
                if ctx.cancelled.wait(0.5):
                    return None
    except Exception as exc:  # the repository's typed errors, worded for the task
        raise NotificationError(
            f"task '{ctx.task_run.task_id}': cannot read execution {execution_id}: {exc}"
        ) from None


def _from_variables(ctx: RunContext, base_url: str) -> ExecutionSummary:
    run = ctx.task_run
    execution = ctx.variables.get("execution") or {}
    tasks = ctx.variables.get("tasks") or {}
    states = {
        task_id: str(value.get("state"))
        for task_id, value in tasks.items()
        if isinstance(value, dict) and value.get("state")
    }
    start = execution.get("startDate")
    started = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
    return ExecutionSummary(
        id=run.execution_id,
        namespace=run.namespace,
        flow_id=run.flow_id,
        state=str(execution.get("state") or "RUNNING"),
        link=execution_link(base_url, run.namespace, run.flow_id, run.execution_id),
        start_date=started,
        task_states=states,
    )


__all__ = [
    "ExecutionSummary",
    "execution_link",
    "human_duration",
    "read_summary",
    "summary_of",
    "ui_base_url",
]
