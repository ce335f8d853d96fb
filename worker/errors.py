"""Root exception of the `worker` package."""

from __future__ import annotations


class WorkerError(Exception):
    """Root of every error raised by the `worker` package."""
