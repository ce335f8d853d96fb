"""Validation problems of a flow file, and the error that carries them."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.errors import OrchestratorError


@dataclass(frozen=True, order=True)
class FlowProblem:
    """One problem in a flow file, at a line and column."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        """Return ``file:line:col: message``, the form editors and CI annotate."""
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class FlowValidationError(OrchestratorError):
    """A flow file is not a valid flow; ``problems`` lists every problem found."""

    def __init__(self, problems: list[FlowProblem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))
