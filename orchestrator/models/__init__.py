"""Core models of Kestrel: flows, executions, states, inputs, retries and wire messages."""

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
from orchestrator.models.flow import Concurrency, ConcurrencyBehavior, Flow, FlowOutput
from orchestrator.models.inputs import Input, InputRef, InputType, InputValueError
from orchestrator.models.labels import Label, Labels, labels_as_dict
from orchestrator.models.retry import ConstantRetry, ExponentialRetry, RandomRetry, Retry
from orchestrator.models.state import State, StateHistory, StateType, utcnow
from orchestrator.models.triggers import FlowTrigger, Schedule, Trigger, Webhook

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
