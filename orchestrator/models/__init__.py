"""Core models of Kestrel: flows, executions, states, inputs, retries and wire messages.

The flow models are loaded on first use: ``flow.py`` needs the task layer
(``orchestrator.tasks.base``), which itself is built on this package's leaf modules, so an
eager import here would make ``import orchestrator.tasks.base`` fail when it comes first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orchestrator.models.base import KestrelModel
from orchestrator.models.duration import Duration, format_duration, parse_duration
from orchestrator.models.execution import (
    Execution,
    ExecutionMetadata,
    ExecutionTrigger,
    ParentLink,
    TaskRun,
    TaskRunAttempt,
    new_id,
)
from orchestrator.models.inputs import Input, InputRef, InputType, InputValueError
from orchestrator.models.labels import Label, Labels, labels_as_dict
from orchestrator.models.retry import ConstantRetry, ExponentialRetry, RandomRetry, Retry
from orchestrator.models.state import State, StateHistory, StateType, utcnow
from orchestrator.models.triggers import FlowTrigger, Schedule, Trigger, Webhook

if TYPE_CHECKING:
    from orchestrator.models.flow import Concurrency, ConcurrencyBehavior, Flow, FlowOutput

_FLOW_NAMES = frozenset({"Concurrency", "ConcurrencyBehavior", "Flow", "FlowOutput"})


def __getattr__(name: str) -> Any:
    """Load the flow models on first use (see the module docstring)."""
    if name in _FLOW_NAMES:
        from orchestrator.models import flow

        return getattr(flow, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Concurrency",
    "ConcurrencyBehavior",
    "ConstantRetry",
    "Duration",
    "Execution",
    "ExecutionMetadata",
    "ExecutionTrigger",
    "ExponentialRetry",
    "Flow",
    "FlowOutput",
    "FlowTrigger",
    "Input",
    "InputRef",
    "InputType",
    "InputValueError",
    "KestrelModel",
    "Label",
    "Labels",
    "ParentLink",
    "RandomRetry",
    "Retry",
    "Schedule",
    "State",
    "StateHistory",
    "StateType",
    "TaskRun",
    "TaskRunAttempt",
    "Trigger",
    "Webhook",
    "format_duration",
    "labels_as_dict",
    "new_id",
    "parse_duration",
    "utcnow",
]
