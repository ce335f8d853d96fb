"""Kestra's ``execution.PurgeExecutions`` and ``log.PurgeLogs``: delete old execution data.

Executions are deleted the way the API deletes one: a ``DeleteExecution`` command to the
executor, the only writer of execution state, which writes the tombstone on the compacted
``executions`` topic; the indexer then removes the execution and its task runs from the
index. Logs and metrics are deleted from their indices (the ``logs`` and ``metrics`` topics
drop them by retention), files from the internal storage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from orchestrator.models.log_level import LogLevel
from orchestrator.models.state import StateType
from orchestrator.plugin import TaskFailedError
from orchestrator.tasks.base import RunnableTask
from plugins.core.counts import iso_date

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext
    from orchestrator.repository import Repositories


class PurgeExecutions(RunnableTask):
    """Delete the executions started between ``startDate`` and ``endDate``, with their data.

    Of all flows, of a namespace (and the ones under it) or of one flow (``namespace`` and
    ``flowId``), optionally only in ``states``. The running execution is never purged.
    Outputs ``executionsCount``, ``logsCount``, ``storagesCount`` and ``metricsCount``.

    Example:
        ```yaml
        - id: purge
          type: io.kestra.plugin.core.execution.PurgeExecutions
          endDate: "{{ now() | dateAdd(-1, 'MONTHS') }}"
          states: [KILLED, FAILED, WARNING, SUCCESS]
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.core.execution.PurgeExecutions"
    aliases: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.core.execution.PurgeExecutions",
        "io.kestra.plugin.core.storage.Purge",
        "io.kestra.core.tasks.storages.Purge",
    )

    namespace: str | None = None
    """The namespace (a prefix without ``flowId``), rendered."""
    flow_id: str | None = None
    """The flow (with ``namespace``), rendered."""
    start_date: str | None = None
    """Executions started at or after this date (rendered, ISO 8601)."""
    end_date: str
    """Executions started before this date (rendered, ISO 8601)."""
    states: list[StateType] = Field(default_factory=list)
    """Only executions in one of these states (all when empty)."""
    purge_execution: bool = True
    """Delete the executions."""
    purge_log: bool = True
    """Delete their log lines."""
    purge_metric: bool = True
    """Delete their metrics from the metric index."""
    purge_storage: bool = True
    """Delete their files of the internal storage."""
    batch_size: int = Field(default=100, ge=1)
    """Executions read from the index per request."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Find the executions in the index, then purge each one."""
        from orchestrator.repository import Repositories
        from orchestrator.repository.executions import ExecutionFilter
        from orchestrator.settings import load_settings

        namespace, flow_id = _scope(ctx, self.namespace, self.flow_id)
        criteria = ExecutionFilter(
            namespace=namespace,
            flow_id=flow_id,
            states=tuple(self.states),
            start=iso_date(ctx.render_text(self.start_date, "startDate"), "startDate")
            if self.start_date
            else None,
            end=iso_date(ctx.render_text(self.end_date, "endDate"), "endDate"),
        )
        counts = {"executionsCount": 0, "logsCount": 0, "storagesCount": 0, "metricsCount": 0}
        try:
            with Repositories.from_settings(load_settings()) as repositories:
                found = [
                    (each.id, each.namespace, each.flow_id)
                    for each in repositories.executions.iterate(criteria, page_size=self.batch_size)
                    if each.id != ctx.task_run.execution_id
                ]
                for execution_id, flow_namespace, flow in found:
                    if self.purge_log:
                        counts["logsCount"] += _purge_logs(repositories, execution_id)
                    if self.purge_metric:
                        counts["metricsCount"] += _purge_metrics(repositories, execution_id)
                    if self.purge_storage:
                        counts["storagesCount"] += _purge_files(
                            ctx, flow_namespace, flow, execution_id
                        )
        except TaskFailedError:
            raise
        except Exception as exc:  # the repository's typed errors, worded for the task
            raise TaskFailedError(f"cannot purge executions: {exc}") from exc
        if self.purge_execution and found:
            _delete_executions(ctx, [execution_id for execution_id, _, _ in found])
            counts["executionsCount"] = len(found)
        ctx.logger.info(
            f"purged {counts['executionsCount']} execution(s), {counts['logsCount']} log "
            f"line(s) and {counts['storagesCount']} file(s) ({len(found)} matched)"
        )
        return counts


class PurgeLogs(RunnableTask):
    """Delete the log lines logged between ``startDate`` and ``endDate`` from the log index.

    Of all flows, of a namespace (and the ones under it), of one flow or of one execution,
    optionally only of ``logLevels``. Outputs ``count``, the lines deleted.

    Example:
        ```yaml
        - id: purge_logs
          type: io.kestra.plugin.core.log.PurgeLogs
          endDate: "{{ now() | dateAdd(-1, 'MONTHS') }}"
          logLevels: [TRACE, DEBUG, INFO]
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.core.log.PurgeLogs"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.log.PurgeLogs",)

    namespace: str | None = None
    """The namespace (a prefix without ``flowId``), rendered."""
    flow_id: str | None = None
    """The flow (with ``namespace``), rendered."""
    execution_id: str | None = None
    """Only the lines of this execution (rendered)."""
    log_levels: list[LogLevel] = Field(default_factory=list)
    """Only lines of these levels (all when empty)."""
    start_date: str | None = None
    """Lines logged at or after this date (rendered, ISO 8601)."""
    end_date: str
    """Lines logged before this date (rendered, ISO 8601)."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Delete the matching lines in one request."""
        from orchestrator.repository import Repositories
        from orchestrator.repository.logs import LogFilter
        from orchestrator.settings import load_settings

        namespace, flow_id = _scope(ctx, self.namespace, self.flow_id)
        criteria = LogFilter(
            namespace=namespace,
            flow_id=flow_id,
            execution_id=ctx.render_text(self.execution_id, "executionId")
            if self.execution_id
            else None,
            levels=tuple(self.log_levels),
            start=iso_date(ctx.render_text(self.start_date, "startDate"), "startDate")
            if self.start_date
            else None,
            end=iso_date(ctx.render_text(self.end_date, "endDate"), "endDate"),
        )
        try:
            with Repositories.from_settings(load_settings()) as repositories:
                count = repositories.logs.delete(criteria)
        except Exception as exc:  # the repository's typed errors, worded for the task
            raise TaskFailedError(f"cannot purge logs: {exc}") from exc
        ctx.logger.info(f"purged {count} log line(s)")
        return {"count": count}


def _scope(
    ctx: RunContext, namespace: str | None, flow_id: str | None
) -> tuple[str | None, str | None]:
    rendered_namespace = ctx.render_text(namespace, "namespace") if namespace else None
    rendered_flow = ctx.render_text(flow_id, "flowId") if flow_id else None
    if rendered_flow and not rendered_namespace:
        raise TaskFailedError(
            "flowId needs namespace: give both to purge one flow", retryable=False
        )
    return rendered_namespace, rendered_flow


def _purge_logs(repositories: Repositories, execution_id: str) -> int:
    from orchestrator.repository.logs import LogFilter

    return repositories.logs.delete(LogFilter(execution_id=execution_id))


def _purge_metrics(repositories: Repositories, execution_id: str) -> int:
    import elasticsearch

    from orchestrator.repository.admin import translated
    from orchestrator.repository.indices import IndexKind

    index = repositories.names.search_target(IndexKind.METRICS)
    with translated(repositories.client, "deleting metrics"):
        try:
            response = repositories.client.delete_by_query(
                index=index,
                query={"term": {"executionId": execution_id}},
                conflicts="proceed",
                refresh=True,
                ignore_unavailable=True,
                allow_no_indices=True,
            ).body
        except elasticsearch.NotFoundError:
            return 0  # no metric was ever indexed
    return int(response.get("deleted", 0))


def _purge_files(ctx: RunContext, namespace: str, flow_id: str, execution_id: str) -> int:
    uris = ctx.storage.list(f"{namespace}/{flow_id}/executions/{execution_id}")
    for uri in uris:
        ctx.storage.delete(uri)
    return len(uris)


def _delete_executions(ctx: RunContext, execution_ids: list[str]) -> None:
    from orchestrator.kafka import TOPICS, send_commands
    from orchestrator.models.messages import DeleteExecution
    from orchestrator.settings import load_settings

    try:
        commands = [(each, DeleteExecution(execution_id=each)) for each in execution_ids]
        send_commands(load_settings(), TOPICS.execution_commands, commands)
    except Exception as exc:  # the Kafka wrappers' typed errors, worded for the task
        raise TaskFailedError(f"cannot send the deletion of executions: {exc}") from exc


__all__ = ["PurgeExecutions", "PurgeLogs"]
