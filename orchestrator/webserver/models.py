"""Request and response models of the API, with Kestra's field names (camelCase).

Response views allow extra fields: they document what Kestra's clients read, and the
serialisers (`orchestrator.webserver.views`) may add more.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from orchestrator.models.state import StateType

ItemT = TypeVar("ItemT")


class ApiModel(BaseModel):
    """camelCase on the wire, snake_case in Python; extra fields allowed in answers."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, extra="allow"
    )


class QueryModel(BaseModel):
    """A query string: camelCase parameters; unknown ones are ignored, as Kestra does."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, extra="ignore"
    )


# ---- answers -------------------------------------------------------------------------------


class PagedResults(ApiModel, Generic[ItemT]):
    """One page of results and the total count (Kestra's ``PagedResults``)."""

    results: list[ItemT]
    total: int


class LabelView(ApiModel):
    """A label."""

    key: str
    value: str


class StateView(ApiModel):
    """A state and its history, with the dates and the duration Kestra's clients show."""

    current: StateType
    histories: list[dict[str, Any]] = Field(default_factory=list)
    start_date: datetime | None = None
    end_date: datetime | None = None
    duration: str | None = None


class FlowView(ApiModel):
    """A flow: its parsed properties, and its YAML ``source`` when asked for."""

    id: str
    namespace: str
    revision: int
    deleted: bool = False
    disabled: bool = False
    source: str | None = None


class ExecutionView(ApiModel):
    """An execution snapshot."""

    id: str
    namespace: str
    flow_id: str
    flow_revision: int | None = None
    state: StateView
    task_run_list: list[dict[str, Any]] | None = None
    inputs: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    labels: list[LabelView] = Field(default_factory=list)
    trigger: dict[str, Any] | None = None
    parent_id: str | None = None
    original_id: str | None = None


class LogView(ApiModel):
    """A log line."""

    execution_id: str
    namespace: str
    flow_id: str
    task_id: str | None = None
    task_run_id: str | None = None
    attempt_number: int | None = None
    level: str
    message: str
    timestamp: datetime


class ConstraintViolations(ApiModel):
    """What validating one YAML document found (Kestra's ``ValidateConstraintViolation``)."""

    index: int
    flow: str | None = None
    namespace: str | None = None
    constraints: str | None = None
    warnings: list[str] = Field(default_factory=list)
    problems: list[dict[str, Any]] = Field(default_factory=list)
    outdated: bool = False
    deprecation_paths: list[str] = Field(default_factory=list)


class GraphNode(ApiModel):
    """A node of a flow's topology."""

    uid: str
    type: str
    task: dict[str, Any] | None = None


class GraphEdge(ApiModel):
    """An edge of a flow's topology."""

    source: str
    target: str
    relation: dict[str, Any] = Field(default_factory=dict)


class FlowGraph(ApiModel):
    """Nodes and edges of a flow's topology (Kestra's ``FlowGraph``)."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]
    clusters: list[dict[str, Any]] = Field(default_factory=list)


class BulkResponse(ApiModel):
    """How many items a bulk action applied to."""

    count: int


class FlowId(ApiModel):
    """A flow's namespace and id (bodies of the bulk enable and disable)."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, extra="forbid")

    namespace: str = Field(min_length=1)
    id: str = Field(min_length=1)


class Message(ApiModel):
    """A plain answer."""

    message: str


# ---- query strings -------------------------------------------------------------------------


class PageQuery(QueryModel):
    """Paging of a search."""

    page: int = Field(default=1, ge=1, le=10_000)
    size: int = Field(default=10, ge=1, le=1000)
    sort: list[str] = Field(default_factory=list)


class FlowSearchQuery(PageQuery):
    """``GET /flows/search``."""

    q: str | None = None
    namespace: str | None = None
    labels: list[str] = Field(default_factory=list)


class NamespaceUpdateQuery(QueryModel):
    """``POST /flows/{namespace}`` and ``/flows/bulk``: replace a namespace's flows."""

    namespace: str | None = None
    delete: bool = True
    allow_namespace_child: bool = False


class SourceQuery(QueryModel):
    """Whether to include the YAML source."""

    source: bool = False
    allow_deleted: bool = False


class ExecutionSearchQuery(PageQuery):
    """``GET /executions/search``."""

    q: str | None = None
    namespace: str | None = None
    flow_id: str | None = None
    state: list[StateType] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    start_date: datetime | None = None
    end_date: datetime | None = None


class CreateExecutionQuery(QueryModel):
    """``POST /executions/{namespace}/{id}``."""

    wait: bool = False
    labels: list[str] = Field(default_factory=list)
    schedule_date: datetime | None = None
    revision: int | None = Field(default=None, ge=1)


class WaitQuery(QueryModel):
    """Whether to answer only once the execution ended."""

    wait: bool = False


class ReplayQuery(QueryModel):
    """``POST /executions/{id}/replay``."""

    task_run_id: str | None = None


class FileQuery(QueryModel):
    """An internal-storage file of an execution."""

    path: str = Field(min_length=1)
    max_rows: int = Field(default=100, ge=1, le=10_000)


class LogSearchQuery(QueryModel):
    """``GET /logs/search`` and ``GET /logs/{executionId}``."""

    page: int = Field(default=1, ge=1, le=1000)
    size: int = Field(default=100, ge=1, le=1000)
    q: str | None = None
    namespace: str | None = None
    flow_id: str | None = None
    execution_id: str | None = None
    task_id: str | None = None
    task_run_id: str | None = None
    min_level: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None


class StatsQuery(QueryModel):
    """A time range and a scope for statistics."""

    namespace: str | None = None
    flow_id: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
