"""Search executions and their task runs.

Searches read the small daily summaries (``kestrel-execution-summaries-*``) of the days of the
range only (see ``orchestrator.repository.summaries``); whole snapshots come from
``kestrel-executions`` by id, task runs from ``kestrel-taskruns``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import elasticsearch
from elasticsearch import Elasticsearch

from orchestrator.models.execution import Execution
from orchestrator.models.state import StateType
from orchestrator.repository.admin import translated
from orchestrator.repository.documents import execution_from_document, taskrun_from_document
from orchestrator.repository.errors import InvalidQueryError
from orchestrator.repository.indices import IndexKind, IndexNames
from orchestrator.repository.query import (
    Page,
    Query,
    bool_query,
    check_page,
    contains,
    labels_filter,
    namespace_filter,
    sources,
    time_range,
)

SORT_FIELDS: Mapping[str, str] = {
    "start": "@timestamp",
    "end": "endDate",
    "duration": "durationMs",
    "state": "state.current",
    "namespace": "namespace",
    "flow": "flowKey",
}
"""Sort keys accepted by ``find`` (``start:desc``), and the field each sorts on."""

_SUMMARY_FIELDS = [
    "id",
    "namespace",
    "flowId",
    "flowRevision",
    "seq",
    "state.current",
    "startDate",
    "endDate",
    "durationMs",
    "labels",
    "parentId",
    "trigger.id",
    "deleted",
]


@dataclass(frozen=True)
class ExecutionFilter:
    """What executions to find; every field set narrows the search.

    Attributes:
        namespace: This namespace and the ones under it.
        flow_id: Executions of this flow id.
        states: Current state is one of these.
        labels: Every ``(key, value)`` pair is a label of the execution.
        start: Started at or after.
        end: Started before.
        text: Id equal to, or namespace, flow id or a label value containing, this text.
        include_deleted: Also soft-deleted executions.
    """

    namespace: str | None = None
    flow_id: str | None = None
    states: tuple[StateType, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    text: str | None = None
    include_deleted: bool = False


@dataclass(frozen=True)
class ExecutionSummary:
    """The searchable facts of an execution, without its task runs and outputs."""

    id: str
    namespace: str
    flow_id: str
    flow_revision: int | None
    state: StateType
    seq: int
    start_date: datetime | None = None
    end_date: datetime | None = None
    duration_ms: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    parent_id: str | None = None
    trigger_id: str | None = None

    @classmethod
    def from_document(cls, source: Mapping[str, Any]) -> ExecutionSummary:
        """Read a summary from an execution document."""
        return cls(
            id=source["id"],
            namespace=source["namespace"],
            flow_id=source["flowId"],
            flow_revision=source.get("flowRevision"),
            state=StateType(source.get("state", {}).get("current", StateType.CREATED)),
            seq=int(source.get("seq", 0)),
            start_date=_date(source.get("startDate")),
            end_date=_date(source.get("endDate")),
            duration_ms=source.get("durationMs"),
            labels={item["key"]: item["value"] for item in source.get("labels", [])},
            parent_id=source.get("parentId"),
            trigger_id=(source.get("trigger") or {}).get("id"),
        )

    def to_json_dict(self) -> dict[str, Any]:
        """JSON form with Kestra's field names (``--json`` output, the API)."""
        data: dict[str, Any] = {
            "id": self.id,
            "namespace": self.namespace,
            "flowId": self.flow_id,
            "flowRevision": self.flow_revision,
            "state": self.state.value,
            "seq": self.seq,
            "startDate": _text(self.start_date),
            "endDate": _text(self.end_date),
            "durationMs": self.duration_ms,
            "labels": [{"key": k, "value": v} for k, v in self.labels.items()],
            "parentId": self.parent_id,
            "triggerId": self.trigger_id,
        }
        return {key: value for key, value in data.items() if value is not None}


@dataclass(frozen=True)
class TaskRunSummary:
    """One task run as indexed: for per-task search and Gantt charts."""

    id: str
    execution_id: str
    task_id: str
    state: StateType
    attempts: int
    value: str | None = None
    parent_task_run_id: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    duration_ms: int | None = None
    worker_id: str | None = None

    @classmethod
    def from_document(cls, source: Mapping[str, Any]) -> TaskRunSummary:
        """Read a task run from its document."""
        return cls(
            id=source["id"],
            execution_id=source["executionId"],
            task_id=source["taskId"],
            state=StateType(source.get("state", {}).get("current", StateType.CREATED)),
            attempts=int(source.get("attemptCount", 0)),
            value=source.get("value"),
            parent_task_run_id=source.get("parentTaskRunId"),
            start_date=_date(source.get("startDate")),
            end_date=_date(source.get("endDate")),
            duration_ms=source.get("durationMs"),
            worker_id=source.get("workerId"),
        )


def _date(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _text(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def execution_query(criteria: ExecutionFilter) -> Query:
    """The Elasticsearch query selecting ``criteria``'s executions."""
    filters: list[Query | None] = [
        namespace_filter(criteria.namespace) if criteria.namespace else None,
        {"term": {"flowId": criteria.flow_id}} if criteria.flow_id else None,
        {"terms": {"state.current": [s.value for s in criteria.states]}}
        if criteria.states
        else None,
        time_range("@timestamp", criteria.start, criteria.end),
        *labels_filter(criteria.labels),
    ]
    if criteria.text:
        text = criteria.text
        filters.append(
            {
                "bool": {
                    "should": [
                        {"term": {"id": text}},
                        contains("namespace", text),
                        contains("flowId", text),
                        {"nested": {"path": "labels", "query": contains("labels.value", text)}},
                    ],
                    "minimum_should_match": 1,
                }
            }
        )
    query = bool_query(filters)
    if not criteria.include_deleted:
        query = {"bool": {"filter": [query], "must_not": [{"term": {"deleted": True}}]}}
    return query


def parse_sort(sort: str) -> list[dict[str, Any]]:
    """Turn ``start:desc`` into an Elasticsearch sort, with the id as tie-breaker.

    Raises:
        InvalidQueryError: Unknown key or direction.
    """
    key, _, direction = sort.partition(":")
    direction = direction or "desc"
    if key not in SORT_FIELDS or direction not in ("asc", "desc"):
        keys = ", ".join(SORT_FIELDS)
        raise InvalidQueryError(f"cannot sort by {sort!r}: use KEY[:asc|:desc] with KEY in {keys}")
    return [{SORT_FIELDS[key]: {"order": direction, "missing": "_last"}}, {"id": "asc"}]


class ExecutionRepository:
    """Executions and task runs as the indexer mirrored them."""

    def __init__(self, client: Elasticsearch, names: IndexNames) -> None:
        """Search through ``client`` in the indices named by ``names``."""
        self._client = client
        self._names = names
        self._executions = names.search_target(IndexKind.EXECUTIONS)
        self._taskruns = names.search_target(IndexKind.TASKRUNS)

    def summaries_of(self, criteria: ExecutionFilter) -> str:
        """The summary indices that can hold ``criteria``'s executions (the days of its range)."""
        return self._names.covering(IndexKind.EXECUTION_SUMMARIES, criteria.start, criteria.end)

    def find(
        self,
        criteria: ExecutionFilter | None = None,
        *,
        page: int = 1,
        size: int = 25,
        sort: str = "start:desc",
    ) -> Page[ExecutionSummary]:
        """Executions matching ``criteria``, one page at a time, newest first by default.

        Raises:
            InvalidQueryError: A bad page or sort.
            SearchUnavailableError: Elasticsearch cannot be reached.
        """
        from orchestrator.repository.listing import search_page  # it builds on this module

        start, size = check_page(page, size)
        criteria = criteria or ExecutionFilter()
        with translated(self._client, "searching executions"):
            hits, total = search_page(
                self._client,
                self._names,
                criteria,
                sort=sort,
                start=start,
                size=size,
                source_includes=_SUMMARY_FIELDS,
            )
        items = [ExecutionSummary.from_document(hit["_source"]) for hit in hits]
        return Page(items, total, page, size)

    def count(self, criteria: ExecutionFilter | None = None) -> int:
        """How many executions match ``criteria``."""
        criteria = criteria or ExecutionFilter()
        with translated(self._client, "counting executions"):
            response = self._client.count(
                index=self.summaries_of(criteria),
                query=execution_query(criteria),
                ignore_unavailable=True,
            ).body
        return int(response.get("count", 0))

    def iterate(
        self, criteria: ExecutionFilter, *, page_size: int = 500
    ) -> Iterator[ExecutionSummary]:
        """Every matching execution, oldest first, a page at a time (``search_after``)."""
        after: list[Any] | None = None
        while True:
            with translated(self._client, "searching executions"):
                response = self._client.search(
                    index=self.summaries_of(criteria),
                    query=execution_query(criteria),
                    sort=parse_sort("start:asc"),
                    size=page_size,
                    search_after=after,
                    source_includes=_SUMMARY_FIELDS,
                    ignore_unavailable=True,
                ).body
            hits = response.get("hits", {}).get("hits", [])
            yield from (ExecutionSummary.from_document(hit["_source"]) for hit in hits)
            if len(hits) < page_size:
                return
            after = list(hits[-1]["sort"])

    def get(self, execution_id: str) -> Execution | None:
        """The latest indexed snapshot of an execution, or None.

        A long execution's document is its header: its task runs come from the task-runs
        index, in creation order (each as last indexed).
        """
        with translated(self._client, f"reading execution {execution_id}"):
            try:
                response = self._client.get(index=self._executions, id=execution_id).body
            except elasticsearch.NotFoundError:
                return None
        execution = execution_from_document(response["_source"])
        if execution.is_whole:
            return execution
        positioned = sorted(self._run_documents(execution_id), key=lambda d: d.get("position", 0))
        runs = [taskrun_from_document(document) for document in positioned]
        count = execution.task_run_count or len(runs)
        return execution.model_copy(update={"task_run_list": tuple(runs[:count])})

    def _run_documents(self, execution_id: str, page_size: int = 2000) -> Iterator[dict[str, Any]]:
        """Every task-run document of an execution, a page at a time (``search_after``)."""
        after: list[Any] | None = None
        while True:
            with translated(self._client, f"reading task runs of {execution_id}"):
                response = self._client.search(
                    index=self._taskruns,
                    query={"bool": {"filter": [{"term": {"executionId": execution_id}}]}},
                    sort=[{"id": "asc"}],
                    size=page_size,
                    search_after=after,
                    ignore_unavailable=True,
                ).body
            hits = response.get("hits", {}).get("hits", [])
            yield from (hit["_source"] for hit in hits)
            if len(hits) < page_size:
                return
            after = list(hits[-1]["sort"])

    def task_runs(self, execution_id: str, *, size: int = 1000) -> list[TaskRunSummary]:
        """Task runs of an execution in start order (the rows of a Gantt chart)."""
        with translated(self._client, f"reading task runs of {execution_id}"):
            response = self._client.search(
                index=self._taskruns,
                query={"bool": {"filter": [{"term": {"executionId": execution_id}}]}},
                sort=[{"startDate": {"order": "asc", "missing": "_last"}}, {"id": "asc"}],
                size=min(size, 10_000),
                ignore_unavailable=True,
            ).body
        return [TaskRunSummary.from_document(source) for source in sources(response)]
