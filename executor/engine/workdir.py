"""Which WorkingDirectory a task run belongs to, for the worker task sent for it."""

from __future__ import annotations

from typing import Any

from executor.engine.work import Work
from orchestrator.models.execution import TaskRun
from orchestrator.models.workdir import SharedDirectory
from orchestrator.tasks.flow import WorkingDirectory
from orchestrator.tasks.workdir_end import END_SUFFIX


def shared_directory(work: Work, run: TaskRun) -> SharedDirectory | None:
    """The nearest WorkingDirectory enclosing ``run``, or None."""
    for parent in work.ancestors(run):
        task = work.index.task(parent.task_id)
        if isinstance(task, WorkingDirectory):
            files, cache = task.namespace_files, task.cache
            return SharedDirectory(
                task_run_id=parent.id,
                task_id=task.id,
                input_files=task.input_files,
                namespace_files=files.model_dump(mode="json") if files else None,
                cache=cache.model_dump(mode="json") if cache else None,
            )
    return None


def end_outputs(work: Work, run: TaskRun, task: WorkingDirectory) -> dict[str, Any] | None:
    """The outputs a WorkingDirectory ends with: its internal end task's ``outputFiles``."""
    end_id = f"{task.id}{END_SUFFIX}"
    for child in work.children(run.id):
        if child.task_id == end_id and child.outputs:
            return {"outputFiles": child.outputs.get("outputFiles", {})}
    return None


__all__ = ["end_outputs", "shared_directory"]
