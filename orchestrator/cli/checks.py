"""The checks ``kestrel execution kill|resume|restart`` make (they live in the control plane)."""

from orchestrator.control.checks import Action, latest_execution, refusal

__all__ = ["Action", "latest_execution", "refusal"]
