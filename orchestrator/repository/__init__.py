"""Typed searches over what the indexer mirrored into Elasticsearch (CLI now, API later).

The index names, mappings and document shapes live here too, because they are the contract
between the indexer (which writes) and every reader. Nothing here imports the indexer.
"""

from orchestrator.repository.admin import (
    ensure_indices,
    ensure_templates,
    make_client,
    names_for,
)
from orchestrator.repository.errors import (
    IndexLayoutError,
    InvalidQueryError,
    NotFoundError,
    RepositoryError,
    SearchFailedError,
    SearchUnavailableError,
)
from orchestrator.repository.executions import (
    ExecutionFilter,
    ExecutionRepository,
    ExecutionSummary,
    TaskRunSummary,
)
from orchestrator.repository.flows import FlowRepository
from orchestrator.repository.indices import ALIASED_KINDS, DAILY_KINDS, IndexKind, IndexNames
from orchestrator.repository.logs import LogFilter, LogHit, LogPage, LogRepository
from orchestrator.repository.query import Page
from orchestrator.repository.repositories import Repositories
from orchestrator.repository.stats import (
    FailingFlow,
    FlowDurations,
    StateBucket,
    StatsRepository,
)

__all__ = [
    "ALIASED_KINDS",
    "DAILY_KINDS",
    "ExecutionFilter",
    "ExecutionRepository",
    "ExecutionSummary",
    "FailingFlow",
    "FlowDurations",
    "FlowRepository",
    "IndexKind",
    "IndexLayoutError",
    "IndexNames",
    "InvalidQueryError",
    "LogFilter",
    "LogHit",
    "LogPage",
    "LogRepository",
    "NotFoundError",
    "Page",
    "Repositories",
    "RepositoryError",
    "SearchFailedError",
    "SearchUnavailableError",
    "StateBucket",
    "StatsRepository",
    "TaskRunSummary",
    "ensure_indices",
    "ensure_templates",
    "make_client",
    "names_for",
]
