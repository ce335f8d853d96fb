"""Flow files: YAML loading with positions and validation with clear messages."""

from orchestrator.flows.loader import find_flow_files, load_flow_file, parse_flow, validate_source
from orchestrator.flows.problems import FlowProblem, FlowValidationError

__all__ = [
    "FlowProblem",
    "FlowValidationError",
    "find_flow_files",
    "load_flow_file",
    "parse_flow",
    "validate_source",
]
