"""Root exception of the `executor` package."""

from __future__ import annotations


class ExecutorError(Exception):
    """Root of every error raised by the `executor` package."""
