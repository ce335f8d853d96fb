"""Structural facts about a flow: where each task sits, which retry applies, error branches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from orchestrator.models.flow import Flow
from orchestrator.models.retry import Retry
from orchestrator.tasks.base import FlowableTask, Task


@dataclass(frozen=True)
class TaskPlace:
    """Where a task sits: its parent task (None at the top) and the list it belongs to."""

    task: Task
    parent_id: str | None
    branch: str


class FlowIndex:
    """Lookups over a flow's task tree, built once per flow revision."""

    def __init__(self, flow: Flow) -> None:
        """Index every task of ``flow``."""
        self.flow = flow
        self._places: dict[str, TaskPlace] = {}
        self._error_branch_ids: set[str] = set()
        self._finally_branch_ids: set[str] = set()
        for branch, tasks in (("tasks", flow.tasks), ("errors", flow.errors)):
            self._index(tasks, None, branch, in_errors=branch == "errors", in_finally=False)
        self._index(flow.finally_, None, "finally", in_errors=False, in_finally=True)

    def _index(
        self,
        tasks: list[Task],
        parent: str | None,
        branch: str,
        *,
        in_errors: bool,
        in_finally: bool,
    ) -> None:
        for task in tasks:
            self._places[task.id] = TaskPlace(task, parent, branch)
            if in_errors:
                self._error_branch_ids.add(task.id)
            if in_finally:
                self._finally_branch_ids.add(task.id)
            for child_branch, children in task.child_task_lists():
                self._index(
                    children,
                    task.id,
                    child_branch,
                    in_errors=in_errors or child_branch == "errors",
                    in_finally=in_finally or child_branch == "finally",
                )

    def task(self, task_id: str) -> Task | None:
        """Return the task with ``task_id``, or None."""
        place = self._places.get(task_id)
        return place.task if place else None

    def place(self, task_id: str) -> TaskPlace | None:
        """Return where ``task_id`` sits in the tree."""
        return self._places.get(task_id)

    def ancestors(self, task_id: str) -> Iterator[Task]:
        """Yield the tasks enclosing ``task_id``, nearest first."""
        place = self._places.get(task_id)
        while place is not None and place.parent_id is not None:
            parent = self._places[place.parent_id]
            yield parent.task
            place = parent

    def retry_for(self, task_id: str) -> Retry | None:
        """Return the retry policy of a task: its own, an ancestor's, or the flow's."""
        task = self.task(task_id)
        if task is not None and task.retry is not None:
            return task.retry
        for ancestor in self.ancestors(task_id):
            if ancestor.retry is not None:
                return ancestor.retry
        return self.flow.retry

    def in_error_branch(self, task_id: str) -> bool:
        """Whether the task is in an ``errors`` branch (of the flow or of a flowable)."""
        return task_id in self._error_branch_ids

    def in_closing_branch(self, task_id: str) -> bool:
        """Whether the task is in an ``errors`` or a ``finally`` branch (at any depth)."""
        return task_id in self._error_branch_ids or task_id in self._finally_branch_ids

    def is_flowable(self, task_id: str) -> bool:
        """Whether the engine resolves this task itself."""
        task = self.task(task_id)
        return task is not None and task.is_flowable

    def flowable(self, task_id: str) -> FlowableTask | None:
        """Return the task if it is a flowable with child lists, else None."""
        task = self.task(task_id)
        return task if isinstance(task, FlowableTask) else None


_INDEXES: dict[int, FlowIndex] = {}


def index_of(flow: Flow) -> FlowIndex:
    """Return the index of ``flow``, cached by identity (flows are immutable)."""
    index = _INDEXES.get(id(flow))
    if index is None or index.flow is not flow:
        if len(_INDEXES) >= 512:
            _INDEXES.clear()
        index = _INDEXES[id(flow)] = FlowIndex(flow)
    return index
