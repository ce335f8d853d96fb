"""Root exception of the `plugins` package."""

from __future__ import annotations

from orchestrator.errors import OrchestratorError


class PluginError(OrchestratorError):
    """Root of every error raised by the `plugins` package."""
