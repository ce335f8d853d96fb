"""The control plane: create and command executions, deploy and manage flows.

Used alike by the CLI, the REST API and the scheduler; no ``click``, no HTTP here. Errors
are typed (`ControlError` and its subclasses, each with the HTTP status it maps to).
"""

from orchestrator.control.checks import Action, latest_execution, refusal
from orchestrator.control.errors import (
    ControlError,
    ExecutionNotFoundError,
    FlowNotFoundError,
    InvalidFlowError,
    InvalidInputsError,
    InvalidStateError,
)
from orchestrator.control.executions import ExecutionControl, check_inputs
from orchestrator.control.flows import (
    Deployed,
    FlowSource,
    TopicFlows,
    check_sources,
    delete_flow,
    flow_key,
    live_flow,
    publish_flows,
    set_flow_disabled,
    with_disabled,
)

__all__ = [
    "Action",
    "ControlError",
    "Deployed",
    "ExecutionControl",
    "ExecutionNotFoundError",
    "FlowNotFoundError",
    "FlowSource",
    "InvalidFlowError",
    "InvalidInputsError",
    "InvalidStateError",
    "TopicFlows",
    "check_inputs",
    "check_sources",
    "delete_flow",
    "flow_key",
    "latest_execution",
    "live_flow",
    "publish_flows",
    "refusal",
    "set_flow_disabled",
    "with_disabled",
]
