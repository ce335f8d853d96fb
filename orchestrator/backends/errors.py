"""Errors of the backends package."""

from __future__ import annotations

from orchestrator.errors import OrchestratorError


class BackendError(OrchestratorError):
    """Kafka or Elasticsearch could not be started or reached."""
