"""Root exception of the core package and the errors users see."""

from __future__ import annotations


class OrchestratorError(Exception):
    """Root of every error raised by the `orchestrator` package."""
