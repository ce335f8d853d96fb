"""From a Kafka record to bulk actions: pure, no Elasticsearch, no Kafka calls.

- The record key is the document id; a tombstone deletes the document.
- Versions are external, so an older value can never overwrite a newer one, whatever the order
  writes arrive in (replays, rebalances, a rebuild racing the live indexer): executions, their
  summaries and their task runs use the snapshot ``seq``; flows, flow revisions and triggers
  use the record's offset (a key always lives on one partition, where offsets only grow).
- Logs and metrics get an id made of the execution id and the record's partition and offset,
  so indexing a record twice rewrites one document.
- A record that cannot be decoded becomes a dead letter with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from orchestrator.kafka import TOPICS, DeserializationError, Record, Topics, TopicSpec
from orchestrator.models.execution import Execution, TaskRunRecord
from orchestrator.models.messages import FlowRecord, LogEntry, MetricEntry, TriggerState
from orchestrator.repository.documents import (
    entry_document,
    entry_id,
    execution_document,
    flow_document,
    taskrun_documents,
    taskrun_record_document,
    trigger_document,
)
from orchestrator.repository.indices import IndexKind, IndexNames
from orchestrator.repository.summaries import summary_day, summary_document

SOURCE_TOPICS: tuple[TopicSpec[Any], ...] = (
    TOPICS.flows,
    TOPICS.flow_revisions,
    TOPICS.executions,
    TOPICS.task_runs,
    TOPICS.triggers,
    TOPICS.logs,
    TOPICS.metrics,
    TOPICS.kv,
)
"""The topics the indexer mirrors (``kv`` is only checked: its malformed records are
dead-lettered here, once, since every other reader of it is a per-process tail)."""

Op = Literal["index", "delete"]


@dataclass(frozen=True, slots=True)
class Action:
    """One bulk action, with the record it comes from (for dead letters).

    Attributes:
        version: External version; None writes unconditionally.
        require_alias: Fail instead of creating an index when ``index`` is not an alias.
    """

    op: Op
    index: str
    id: str
    source: dict[str, Any] | None = None
    version: int | None = None
    require_alias: bool = False
    record: Record | None = field(default=None, compare=False)

    @property
    def target(self) -> tuple[str, str]:
        """(index, id): two actions with one target write the same document."""
        return self.index, self.id

    def to_bulk(self) -> dict[str, Any]:
        """The action as ``elasticsearch.helpers`` takes it (see ``bulk.expand``)."""
        data: dict[str, Any] = {"_op_type": self.op, "_index": self.index, "_id": self.id}
        if self.version is not None:
            data["version"] = self.version
            data["version_type"] = "external"
        if self.require_alias:
            data["require_alias"] = True
        if self.op == "index":
            data["_source"] = self.source
        return data


@dataclass(frozen=True)
class Transformed:
    """What one record turns into.

    Attributes:
        actions: Bulk actions to send.
        failure: Why the record cannot be indexed (it goes to dead letters); None if fine.
        purge_taskruns_of: An execution deleted by a tombstone: delete its task runs too.
        execution_id: The execution a snapshot record carries (cancels an earlier purge).
    """

    actions: tuple[Action, ...] = ()
    failure: str | None = None
    purge_taskruns_of: str | None = None
    execution_id: str | None = None


@dataclass(frozen=True)
class Targets:
    """Where documents of each kind go.

    The live indexer writes through the aliases (``require_alias``, so a deleted index is not
    silently re-created with guessed mappings); a rebuild writes into the new physical indices
    named in ``physical``.
    """

    names: IndexNames
    physical: Mapping[IndexKind, str] = field(default_factory=dict)

    def index(self, kind: IndexKind, when: datetime | None = None) -> str:
        """The index receiving a document of ``kind`` (dated ``when`` for daily kinds)."""
        if kind.is_daily:
            if when is None:
                raise ValueError(f"{kind} documents need a date")
            return self.names.daily(kind, when)
        return self.physical.get(kind) or self.names.alias(kind)

    def require_alias(self, kind: IndexKind) -> bool:
        """Whether writes to ``kind`` must land on an alias."""
        return not kind.is_daily and kind not in self.physical


_KINDS = {
    TOPICS.flows.logical: IndexKind.FLOWS,
    TOPICS.flow_revisions.logical: IndexKind.FLOW_REVISIONS,
    TOPICS.triggers.logical: IndexKind.TRIGGERS,
}


class Transformer:
    """Turns records of the mirrored topics into bulk actions."""

    def __init__(self, topics: Topics, targets: Targets) -> None:
        """Read full topic names with ``topics``; write to ``targets``."""
        self._topics = topics
        self._targets = targets

    def _action(
        self, kind: IndexKind, doc_id: str, source: dict[str, Any] | None, **options: Any
    ) -> Action:
        return Action(
            "delete" if source is None else "index",
            self._targets.index(kind, options.pop("when", None)),
            doc_id,
            source,
            require_alias=self._targets.require_alias(kind),
            **options,
        )

    def check(self, record: Record) -> Transformed:
        """Only read a record: its failure if it cannot be decoded, else nothing to write.

        For a snapshot superseded by a later one of the same execution in the same poll:
        external versions would make its documents no-ops, so they are not even built.
        """
        try:
            if record.key_str is None:
                return Transformed(failure="record without a key: it names no document")
            record.decoded(self._topics.spec_of(record.topic))
        except (KeyError, DeserializationError) as exc:
            return Transformed(failure=str(exc))
        return Transformed()

    def transform(self, record: Record) -> Transformed:
        """Turn one record into actions, or into the reason it cannot be indexed."""
        try:
            spec = self._topics.spec_of(record.topic)
        except KeyError:
            return Transformed(failure=f"the indexer does not read topic {record.topic}")
        try:
            key = record.key_str
            if key is None:
                return Transformed(failure="record without a key: it names no document")
            value = record.decoded(spec)
        except DeserializationError as exc:
            return Transformed(failure=str(exc))
        if spec.logical in _KINDS:
            return self._keyed(_KINDS[spec.logical], key, value, record)
        if spec is TOPICS.executions:
            return self._execution(key, value, record)
        if spec is TOPICS.task_runs:
            return self._task_run(key, value, record)
        if spec is TOPICS.logs or spec is TOPICS.metrics:
            return self._entry(value, record)
        if spec is TOPICS.kv:
            return Transformed()  # decoded, so well-formed; KV pairs are not searched
        return Transformed(failure=f"the indexer does not read topic {record.topic}")

    def _keyed(self, kind: IndexKind, key: str, value: Any, record: Record) -> Transformed:
        source: dict[str, Any] | None = None
        if isinstance(value, FlowRecord):
            source = flow_document(value)
        elif isinstance(value, TriggerState):
            source = trigger_document(value)
        action = self._action(kind, key, source, version=record.offset, record=record)
        return Transformed((action,))

    def _execution(self, key: str, value: Any, record: Record) -> Transformed:
        if value is None:
            action = self._action(IndexKind.EXECUTIONS, key, None, record=record)
            return Transformed((action,), purge_taskruns_of=key)
        if not isinstance(value, Execution):  # pragma: no cover - the topic's adapter says so
            return Transformed(failure="not an execution snapshot")
        snapshot = execution_document(value)
        actions = [
            self._action(IndexKind.EXECUTIONS, key, snapshot, version=value.seq, record=record)
        ]
        started = summary_day(value)
        if started is not None:  # every snapshot has one; the summary is filed by it
            actions.append(
                self._action(
                    IndexKind.EXECUTION_SUMMARIES,
                    key,
                    summary_document(snapshot),
                    version=value.seq,
                    when=started,
                    record=record,
                )
            )
        actions += [
            self._action(
                IndexKind.TASKRUNS, document["id"], document, version=value.seq, record=record
            )
            for document in taskrun_documents(value)
        ]
        return Transformed(tuple(actions), execution_id=key)

    def _task_run(self, key: str, value: Any, record: Record) -> Transformed:
        """A long execution's task run: its document, versioned by its execution's seq."""
        doc_id = key.rpartition("/")[2]
        if value is None:
            return Transformed((self._action(IndexKind.TASKRUNS, doc_id, None, record=record),))
        if not isinstance(value, TaskRunRecord):  # pragma: no cover - the topic's adapter
            return Transformed(failure="not a task run record")
        document = taskrun_record_document(value)
        action = self._action(
            IndexKind.TASKRUNS, doc_id, document, version=value.seq, record=record
        )
        return Transformed((action,))

    def _entry(self, value: Any, record: Record) -> Transformed:
        if not isinstance(value, LogEntry | MetricEntry):
            return Transformed()  # a tombstone on a delete-policy topic: nothing to mirror
        kind = IndexKind.LOGS if isinstance(value, LogEntry) else IndexKind.METRICS
        source = entry_document(value, record.partition, record.offset)
        doc_id = entry_id(value.execution_id, record.partition, record.offset)
        action = self._action(kind, doc_id, source, when=value.timestamp, record=record)
        return Transformed((action,))
