"""Errors of the `indexer` package.

``IndexerError`` is the root of the package and an ``OrchestratorError``, so the CLI prints
it as one clear message.
"""

from __future__ import annotations

from orchestrator.errors import OrchestratorError


class IndexerError(OrchestratorError):
    """Root of every error raised by the `indexer` package."""


class ElasticsearchUnavailableError(IndexerError):
    """Elasticsearch did not take a request: unreachable, overloaded (429) or failing (5xx).

    The indexer waits and sends the same request again; nothing is committed meanwhile.
    """


class ElasticsearchRefusedError(IndexerError):
    """Elasticsearch refused a whole request for a reason waiting will not fix (credentials)."""


class GaveUpError(IndexerError):
    """Elasticsearch stayed unavailable past ``indexer.retry_max_elapsed``; nothing committed."""
