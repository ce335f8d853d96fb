"""The shape of Kestrel's documents: built from Kafka values, read back into models.

The document shape is the contract between the indexer (which writes it) and the repository
(which reads it), so both directions live here. A document is the value's wire form
(camelCase, as on Kafka) plus a few *derived* fields that make it searchable and charted:
``@timestamp``, ``startDate``/``endDate``/``durationMs``, ``flowKey`` (``namespace/flowId``, one
keyword to group by flow across namespaces). Readers drop the derived fields and validate the
rest with the model, so a document round-trips to the exact value.

Pure functions: no Elasticsearch, no Kafka.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from orchestrator.models.execution import Execution, TaskRun, TaskRunRecord
from orchestrator.models.labels import normalize_labels
from orchestrator.models.messages import FlowRecord, LogEntry, MetricEntry, TriggerState
from orchestrator.models.state import State

EXECUTION_DERIVED = frozenset({"@timestamp", "startDate", "endDate", "durationMs", "flowKey"})
"""Fields an execution document adds to the snapshot."""

FLOW_DERIVED = frozenset({"@timestamp", "flowKey", "labels", "description"})
"""Fields a flow document adds to the flow record."""

TRIGGER_DERIVED = frozenset({"@timestamp", "flowKey"})
"""Fields a trigger document adds to the trigger state."""

ENTRY_DERIVED = frozenset({"@timestamp", "flowKey", "id", "partition", "offset"})
"""Fields a log or metric document adds to the entry."""


def iso(value: datetime | None) -> str | None:
    """Return ``value`` as ISO-8601 in UTC (what Elasticsearch's ``date`` parses), or None."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def flow_key(namespace: str, flow_id: str) -> str:
    """The ``flowKey`` of a flow: ``namespace/flowId``."""
    return f"{namespace}/{flow_id}"


def _timing(state: State) -> dict[str, Any]:
    start, end = state.start_date, state.end_date
    timing: dict[str, Any] = {"@timestamp": iso(start), "startDate": iso(start)}
    if start is not None and end is not None:
        timing["endDate"] = iso(end)
        timing["durationMs"] = max(0, round((end - start).total_seconds() * 1000))
    return {key: value for key, value in timing.items() if value is not None}


def execution_document(execution: Execution) -> dict[str, Any]:
    """The document of an execution snapshot (its id is the execution id)."""
    document = execution.to_json_dict()
    document.update(_timing(execution.state))
    document["flowKey"] = flow_key(execution.namespace, execution.flow_id)
    return document


def taskrun_document(execution: Execution, run: TaskRun, position: int) -> dict[str, Any]:
    """The document of one task run of ``execution`` (its id is the task run id).

    For an execution that never went long (``task_run_count`` None) the document is slim:
    its searched and displayed fields only, without the attempts, state histories, outputs
    and loop values. The execution's own document carries those whole, and reading the
    execution never reads its task-run documents, so repeating them here only cost bytes
    (on the embedded server, 10 KB of memory per task run instead of 5; see
    bench/ui_queries.py). A long execution's task-run documents stay whole: reading the
    execution puts its task runs back together from them.
    """
    slim = execution.task_run_count is None
    return _taskrun_document(run, execution.flow_revision, execution.seq, position, slim=slim)


def taskrun_record_document(record: TaskRunRecord) -> dict[str, Any]:
    """The document of a task run read from ``task-runs`` (a long execution's)."""
    return _taskrun_document(record.task_run, record.flow_revision, record.seq, record.position)


TASKRUN_WHOLE_ONLY = ("attempts", "outputs", "loopValues")
"""Fields only whole task-run documents carry (with ``state.histories``)."""


def _taskrun_document(
    run: TaskRun, flow_revision: int, seq: int, position: int, *, slim: bool = False
) -> dict[str, Any]:
    last_attempt = run.attempts[-1] if run.attempts else None
    document: dict[str, Any] = {
        "id": run.id,
        "executionId": run.execution_id,
        "namespace": run.namespace,
        "flowId": run.flow_id,
        "flowKey": flow_key(run.namespace, run.flow_id),
        "flowRevision": flow_revision,
        "seq": seq,
        "position": position,
        "taskId": run.task_id,
        "parentTaskRunId": run.parent_task_run_id,
        "value": run.value,
        "iteration": run.iteration,
        "state": run.state.to_json_dict(),
        "attemptCount": run.attempt_count,
        "attempts": [attempt.to_json_dict() for attempt in run.attempts],
        "workerId": last_attempt.worker_id if last_attempt else None,
        "error": run.error,
        "outputs": run.outputs,
        "loopValues": list(run.loop_values) if run.loop_values is not None else None,
        **_timing(run.state),
    }
    if slim:
        document["state"] = {"current": run.state.current.value}
        for name in TASKRUN_WHOLE_ONLY:
            document.pop(name)
    return {key: value for key, value in document.items() if value is not None}


def taskrun_documents(execution: Execution) -> list[dict[str, Any]]:
    """One document per task run of ``execution``."""
    return [
        taskrun_document(execution, run, position)
        for position, run in enumerate(execution.task_run_list)
    ]


def flow_document(record: FlowRecord) -> dict[str, Any]:
    """The document of a flow (latest or one revision)."""
    document = record.to_json_dict()
    document["@timestamp"] = iso(record.updated)
    document["flowKey"] = flow_key(record.namespace, record.id)
    labels = normalize_labels(record.flow.get("labels"))
    if isinstance(labels, list):
        document["labels"] = [
            {"key": str(label["key"]), "value": str(label["value"])}
            for label in labels
            if isinstance(label, dict) and "key" in label
        ]
    description = record.flow.get("description")
    if isinstance(description, str):
        document["description"] = description
    return document


def trigger_document(state: TriggerState) -> dict[str, Any]:
    """The document of a trigger's state (its id is the ``ns/flow/trigger`` key)."""
    document = state.to_json_dict()
    document["@timestamp"] = iso(state.updated)
    document["flowKey"] = flow_key(state.namespace, state.flow_id)
    return document


def entry_id(execution_id: str, partition: int, offset: int) -> str:
    """Id of a log or metric document: unique per Kafka record, so a replay overwrites it."""
    return f"{execution_id}-{partition}-{offset}"


def entry_document(entry: LogEntry | MetricEntry, partition: int, offset: int) -> dict[str, Any]:
    """The document of a log line or metric point read at ``partition``/``offset``."""
    document = entry.to_json_dict()
    document.update(
        {
            "@timestamp": iso(entry.timestamp),
            "flowKey": flow_key(entry.namespace, entry.flow_id),
            "id": entry_id(entry.execution_id, partition, offset),
            "partition": partition,
            "offset": offset,
        }
    )
    return document


def _without(source: dict[str, Any], derived: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in source.items() if key not in derived}


def execution_from_document(source: dict[str, Any]) -> Execution:
    """The execution snapshot stored in a document."""
    return Execution.model_validate(_without(source, EXECUTION_DERIVED))


_TASKRUN_FIELDS = frozenset(
    TaskRun.model_fields[name].alias or name for name in TaskRun.model_fields
)


def taskrun_from_document(source: dict[str, Any]) -> TaskRun:
    """The task run stored in a task-run document."""
    return TaskRun.model_validate({k: v for k, v in source.items() if k in _TASKRUN_FIELDS})


def flow_from_document(source: dict[str, Any]) -> FlowRecord:
    """The flow record stored in a document."""
    return FlowRecord.model_validate(_without(source, FLOW_DERIVED))


def trigger_from_document(source: dict[str, Any]) -> TriggerState:
    """The trigger state stored in a document."""
    return TriggerState.model_validate(_without(source, TRIGGER_DERIVED))


def log_from_document(source: dict[str, Any]) -> LogEntry:
    """The log line stored in a document."""
    return LogEntry.model_validate(_without(source, ENTRY_DERIVED))
