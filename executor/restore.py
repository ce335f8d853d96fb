"""Putting executions back together from the compacted topics after an assignment."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from orchestrator.models.execution import Execution, TaskRunRecord

log = logging.getLogger("kestrel.executor")


def whole_executions(
    snapshots: dict[str, Execution], records: Iterable[TaskRunRecord]
) -> dict[str, Execution]:
    """The latest snapshots with the task runs of long executions put back from ``task-runs``.

    A long execution's last snapshot is its header (or, once ended, whole when it fitted in a
    message); its runs are its latest records on ``task-runs``, in creation order. Records of
    an execution that is gone (deleted, its tombstones not compacted yet) are ignored.
    """
    by_execution: dict[str, list[TaskRunRecord]] = defaultdict(list)
    for record in records:
        by_execution[record.execution_id].append(record)
    whole: dict[str, Execution] = {}
    for execution_id, execution in snapshots.items():
        if execution.is_whole:
            whole[execution_id] = execution
            continue
        found = by_execution.get(execution_id, [])
        if len(found) != execution.task_run_count:
            log.error(
                "execution %s has %d task runs on task-runs, its snapshot says %s",
                execution_id,
                len(found),
                execution.task_run_count,
            )
        whole[execution_id] = execution.with_task_runs(found)
    return whole


__all__ = ["whole_executions"]
