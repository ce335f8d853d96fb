"""Errors of the control plane: what a caller (CLI, API, scheduler) asked cannot be done."""

from __future__ import annotations

from orchestrator.errors import OrchestratorError
from orchestrator.flows import FlowProblem


class ControlError(OrchestratorError):
    """Root of the control plane's errors; ``status`` is the HTTP status it maps to."""

    status = 400


class ExecutionNotFoundError(ControlError):
    """No execution has this id."""

    status = 404

    def __init__(self, execution_id: str) -> None:
        self.execution_id = execution_id
        super().__init__(f"execution {execution_id} not found")


class FlowNotFoundError(ControlError):
    """No flow is deployed under this namespace and id."""

    status = 404

    def __init__(self, namespace: str, flow_id: str) -> None:
        self.namespace = namespace
        self.flow_id = flow_id
        super().__init__(f"no flow {namespace}.{flow_id} is deployed")


class InvalidStateError(ControlError):
    """The execution's state does not allow the action (killing a finished one...)."""

    status = 409


class InvalidInputsError(ControlError):
    """Inputs do not fit the flow: an undeclared one, a missing one, a wrong type."""

    status = 422

    def __init__(self, message: str, input_id: str | None = None) -> None:
        self.input_id = input_id
        super().__init__(message)


class InvalidFlowError(ControlError):
    """A flow source is not a valid flow; ``problems`` carry the line and column of each."""

    status = 422

    def __init__(self, problems: list[FlowProblem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))
