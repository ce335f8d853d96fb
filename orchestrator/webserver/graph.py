"""The topology of a flow as nodes and edges, as Kestra's editor draws it."""

from __future__ import annotations

from typing import Any

from orchestrator.models.flow import Flow
from orchestrator.tasks.base import Task


class _Builder:
    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.edges: list[dict[str, Any]] = []

    def node(self, uid: str, kind: str, task: Task | None = None) -> str:
        node: dict[str, Any] = {"uid": uid, "type": kind}
        if task is not None:
            node["task"] = {"id": task.id, "type": task.type}
        self.nodes.append(node)
        return uid

    def edge(self, source: str, target: str, relation: str = "SEQUENTIAL") -> None:
        self.edges.append(
            {"source": source, "target": target, "relation": {"relationType": relation}}
        )

    def chain(
        self, tasks: list[Task], sources: list[str], prefix: str, parallel: bool = False
    ) -> list[str]:
        """Link ``tasks`` after ``sources``; return the uids the next node follows."""
        if parallel:
            ends = []
            for task in tasks:
                ends += self.task(task, sources, prefix, "PARALLEL")
            return ends or sources
        for task in tasks:
            sources = self.task(task, sources, prefix, "SEQUENTIAL")
        return sources

    def task(self, task: Task, sources: list[str], prefix: str, relation: str) -> list[str]:
        uid = f"{prefix}{task.id}"
        self.node(uid, "GraphCluster" if task.is_flowable else "GraphTask", task)
        for source in sources:
            self.edge(source, uid, relation)
        parallel = "Parallel" in task.type
        ends: list[str] = []
        for name, tasks in task.child_task_lists():
            if name not in ("errors", "finally") and tasks:
                ends += self.chain(tasks, [uid], f"{uid}.", parallel)
        return ends or [uid]


def flow_graph(flow: Flow) -> dict[str, Any]:
    """Nodes and edges of ``flow``: a root start and end, the tasks, error branches."""
    builder = _Builder()
    start = builder.node("root.start", "GraphClusterRoot")
    ends = builder.chain(list(flow.tasks), [start], "root.")
    end = builder.node("root.end", "GraphClusterEnd")
    for source in ends:
        builder.edge(source, end)
    if flow.errors:
        for source in builder.chain(list(flow.errors), [start], "root.errors."):
            builder.edge(source, end, "ERROR")
    if flow.finally_:
        builder.chain(list(flow.finally_), [end], "root.finally.")
    return {"nodes": builder.nodes, "edges": builder.edges, "clusters": []}
