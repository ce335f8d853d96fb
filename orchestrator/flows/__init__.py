"""Flow files: YAML loading with positions and validation with clear messages."""

from orchestrator.flows.loader import (
    check_source,
    find_flow_files,
    load_flow_file,
    parse_flow,
    read_flow_source,
    validate_source,
)
from orchestrator.flows.problems import FlowCheck, FlowProblem, FlowValidationError

__all__ = [
    "FlowCheck",
    "FlowProblem",
    "FlowValidationError",
    "check_source",
    "find_flow_files",
    "load_flow_file",
    "parse_flow",
    "read_flow_source",
    "validate_source",
]
