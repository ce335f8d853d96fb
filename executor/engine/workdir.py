"""Which WorkingDirectory a task run belongs to, for the worker task sent for it."""

from __future__ import annotations

from executor.engine.work import Work
from orchestrator.models.execution import TaskRun
from orchestrator.models.workdir import SharedDirectory
from orchestrator.tasks.flow import WorkingDirectory


def shared_directory(work: Work, run: TaskRun) -> SharedDirectory | None:
    """The nearest WorkingDirectory enclosing ``run``, or None."""
    for parent in work.ancestors(run):
        task = work.index.task(parent.task_id)
        if isinstance(task, WorkingDirectory):
            ignored = [
                name
                for name, value in (
                    ("outputFiles", task.output_files),
                    ("namespaceFiles", task.namespace_files),
                    ("cache", task.cache),
                )
                if value
            ]
            return SharedDirectory(
                task_run_id=parent.id,
                task_id=task.id,
                input_files=task.input_files,
                ignored=ignored,
            )
    return None


__all__ = ["shared_directory"]
