"""Validation problems of a flow file, and the error that carries them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from orchestrator.errors import OrchestratorError

if TYPE_CHECKING:
    from orchestrator.models.flow import Flow


@dataclass(frozen=True, order=True)
class FlowProblem:
    """One problem in a flow file, at a line and column.

    A warning (a template that does not parse) does not stop the flow from being deployed
    or run: the task using it fails at run time, naming the property.
    """

    file: str
    line: int
    column: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        """Return ``file:line:col: message`` (``...: warning: message``), as compilers do."""
        kind = "warning: " if self.warning else ""
        # One line per problem, whatever a message quotes: editors and CI read line by line.
        message = " ".join(self.message.split("\n"))
        return f"{self.file}:{self.line}:{self.column}: {kind}{message}"


@dataclass(frozen=True)
class FlowCheck:
    """What checking one flow file found: the flow (None if it has errors) and the problems."""

    flow: Flow | None
    errors: list[FlowProblem] = field(default_factory=list)
    warnings: list[FlowProblem] = field(default_factory=list)

    @property
    def problems(self) -> list[FlowProblem]:
        """Errors and warnings, in the order of the file."""
        return sorted([*self.errors, *self.warnings])


class FlowValidationError(OrchestratorError):
    """A flow file is not a valid flow; ``problems`` lists every problem found."""

    def __init__(self, problems: list[FlowProblem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))
