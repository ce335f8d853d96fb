"""The indexer: mirrors Kafka topics into Elasticsearch (docs/architecture.md section 6)."""

from indexer.errors import (
    ElasticsearchRefusedError,
    ElasticsearchUnavailableError,
    GaveUpError,
    IndexerError,
)
from indexer.rebuild import Rebuilder, RebuildProgress, RebuildReport, sources_for
from indexer.retention import PurgePlan, plan_purge, purge
from indexer.service import Indexer, IndexerService, IndexerStats, default_instance_id
from indexer.transform import SOURCE_TOPICS, Action, Targets, Transformed, Transformer

__all__ = [
    "SOURCE_TOPICS",
    "Action",
    "ElasticsearchRefusedError",
    "ElasticsearchUnavailableError",
    "GaveUpError",
    "Indexer",
    "IndexerError",
    "IndexerService",
    "IndexerStats",
    "PurgePlan",
    "RebuildProgress",
    "RebuildReport",
    "Rebuilder",
    "Targets",
    "Transformed",
    "Transformer",
    "default_instance_id",
    "plan_purge",
    "purge",
    "sources_for",
]
