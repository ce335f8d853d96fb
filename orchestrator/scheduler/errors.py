"""The scheduler's errors."""

from __future__ import annotations

from orchestrator.errors import OrchestratorError


class SchedulerError(OrchestratorError):
    """Root of the scheduler's errors."""


class ConditionError(SchedulerError):
    """A trigger condition is invalid (unknown type, bad property) or cannot be evaluated."""


class UnknownConditionError(ConditionError):
    """A condition type Kestrel does not implement."""
