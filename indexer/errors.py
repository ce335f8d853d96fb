"""Root exception of the `indexer` package."""

from __future__ import annotations


class IndexerError(Exception):
    """Root of every error raised by the `indexer` package."""
