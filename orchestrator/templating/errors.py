"""The one error every templating failure becomes."""

from __future__ import annotations

from orchestrator.errors import OrchestratorError


class TemplateError(OrchestratorError):
    """A template could not be parsed or rendered.

    Attributes:
        message: What went wrong, without the task and property prefix.
        task_id: The task whose property was being rendered, when known.
        property_path: The property being rendered (``headers.Authorization``,
            ``values[2]``), when known.
        line: The line of the template the error points at, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        task_id: str | None = None,
        property_path: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.task_id = task_id
        self.property_path = property_path
        self.line = line

    def located(self, task_id: str | None, property_path: str | None) -> TemplateError:
        """Fill in the task and property where they are still unknown.

        Args:
            task_id: The task being rendered.
            property_path: The property being rendered.

        Returns:
            This error, for ``raise err.located(...) from ...``.
        """
        if self.task_id is None:
            self.task_id = task_id
        if self.property_path is None:
            self.property_path = property_path
        return self

    def __str__(self) -> str:
        where = []
        if self.task_id is not None:
            where.append(f"task '{self.task_id}'")
        if self.property_path is not None:
            where.append(f"property '{self.property_path}'")
        if not where:
            return self.message
        return f"{', '.join(where)}: {self.message}"
