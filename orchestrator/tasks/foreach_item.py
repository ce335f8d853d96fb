"""``ForEachItem``: a file's items in batches, each batch given to a subflow execution.

The engine needs no machinery of its own for it: a ForEachItem runs, one after the other,
three internal tasks that it builds from its properties, as Kestra does (``<id>_split``,
``<id>_items`` and ``<id>_merge``):

1. ``<id>_split`` (`ForEachItemSplit`, on a worker): splits ``items`` into batch files of
   the internal storage (``batch.rows``, ``batch.bytes`` or ``batch.partitions``) and
   outputs their ``uris``;
2. ``<id>_items``: a ForEach over those URIs, all at once, whose only task
   ``<id>_subflow`` is a Subflow of ``flowId`` with the ForEachItem's ``inputs``, ``wait``
   and ``transmitFailed``. There ``{{ taskrun.items }}`` is the batch's URI and
   ``{{ taskrun.iteration }}`` its index;
3. ``<id>_merge`` (`ForEachItemMerge`, on a worker): ``subflowOutputs``, a file of what
   each child returned, and ``iterations``, the batches by state.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, PrivateAttr

from orchestrator.models.base import KestrelModel
from orchestrator.tasks.base import FlowableTask, RunnableTask, Task
from orchestrator.tasks.flow import ForEach, Subflow

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

_ITEMS = re.compile(r"\btaskrun\.items\b")


class Batch(KestrelModel):
    """How ``items`` is cut into batches.

    ``rows`` per batch, at most ``bytes`` per batch, or ``partitions`` batches (one of
    them; default: one row per batch).
    """

    rows: int | None = Field(default=None, ge=1)
    """Items (lines) per batch."""
    bytes: str | None = None
    """Largest size of a batch (``10MB``, ``512KB`` or a number of bytes)."""
    partitions: int | None = Field(default=None, ge=1)
    """Number of batches, items spread evenly."""
    separator: str = "\n"
    """What ends an item."""


class ForEachItemSplit(RunnableTask):
    """Internal task of a ForEachItem: split ``items`` into batch files; output ``uris``."""

    type_name: ClassVar[str] = "kestrel.core.flow.ForEachItemSplit"

    items: str
    """The file (rendered to an internal storage URI)."""
    batch: Batch = Field(default_factory=Batch)
    """How to cut it."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Split the file; every batch keeps the file's items whole."""
        from orchestrator.plugin import TaskFailedError, is_storage_uri
        from orchestrator.tasks.split import split_items

        uri = ctx.render_text(self.items, "items")
        if not is_storage_uri(uri):
            raise TaskFailedError(f"items must be an internal storage URI, got {uri!r}")
        text = ctx.get_file(uri).decode()
        batches = split_items(
            text, self.batch.separator, self.batch.rows, self.batch.bytes, self.batch.partitions
        )
        suffix = uri.rsplit(".", 1)[-1] if "." in uri.rsplit("/", 1)[-1] else "txt"
        uris = []
        with ctx.working_directory() as folder:
            for index, batch in enumerate(batches):
                path = folder / f".kestrel-batch-{index}"
                path.write_text(batch)
                uris.append(ctx.put_file(path, f"batch-{index}.{suffix}"))
        ctx.logger.info(f"{len(uris)} batch(es) of {uri}")
        return {"uris": uris, "numberOfBatches": len(uris)}


class ForEachItemMerge(RunnableTask):
    """Internal task of a ForEachItem: gather what every subflow execution returned.

    Outputs ``subflowOutputs`` (a file with one JSON line per batch, in batch order: the
    child's outputs; JSON lines are valid Ion, Kestra's format), ``iterations`` (batches by
    state) and ``numberOfBatches``.
    """

    type_name: ClassVar[str] = "kestrel.core.flow.ForEachItemMerge"
    reads_run_variables: ClassVar[bool] = True  # the outputs of the split and the subflows

    subflow_task_id: str
    """The id of the internal Subflow task whose runs are merged."""
    split_task_id: str
    """The id of the internal split task (its ``uris`` give the batch order)."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Write the children's outputs, one line per batch."""
        import json

        outputs = ctx.variables.get("outputs") or {}
        batches = (outputs.get(self.split_task_id) or {}).get("uris") or []
        runs = outputs.get(self.subflow_task_id) or {}
        iterations: dict[str, int] = {}
        lines = []
        for uri in batches:
            child = runs.get(uri) or {}
            state = str(child.get("state", "CREATED"))
            iterations[state] = iterations.get(state, 0) + 1
            lines.append(json.dumps(child.get("outputs") or {}, separators=(",", ":")))
        with ctx.working_directory() as folder:
            path = folder / ".kestrel-merge"
            path.write_text("".join(line + "\n" for line in lines))
            uri = ctx.put_file(path, "subflow-outputs.ion")
        return {"subflowOutputs": uri, "iterations": iterations, "numberOfBatches": len(batches)}


class ForEachItem(FlowableTask):
    """Give the items of a file, in batches, to executions of a subflow (one per batch).

    Example:
        ```yaml
        - id: each
          type: io.kestra.plugin.core.flow.ForEachItem
          items: "{{ inputs.file }}"
          batch:
            rows: 100
          namespace: company.team
          flowId: process_batch
          inputs:
            data: "{{ taskrun.items }}"
        ```
    """

    type_name: ClassVar[str] = "kestrel.core.flow.ForEachItem"

    items: str
    """The file whose items (lines) are split into batches (an internal storage URI)."""
    batch: Batch = Field(default_factory=Batch)
    """How to cut the file."""
    namespace: str
    """The subflow's namespace."""
    flow_id: str
    """The subflow's id."""
    revision: int | None = Field(default=None, ge=1)
    """The subflow's revision (default: the latest)."""
    inputs: dict[str, Any] = Field(default_factory=dict)
    """The subflow's inputs; ``{{ taskrun.items }}`` is the batch file's URI."""
    labels: dict[str, Any] | list[dict[str, Any]] = Field(default_factory=dict)
    """Labels of the subflow executions."""
    inherit_labels: bool = False
    """Give the subflow executions this execution's labels."""
    wait: bool = True
    """Wait for every subflow execution to end."""
    transmit_failed: bool = True
    """A failed subflow execution fails this task (with ``wait``)."""
    schedule_date: str | None = None
    """When the subflow executions start."""

    _internal: list[Task] = PrivateAttr(default_factory=list)

    def model_post_init(self, context: Any, /) -> None:
        """Build the internal split and loop tasks from the properties."""
        split = ForEachItemSplit(
            id=f"{self.id}_split",
            type=ForEachItemSplit.type_name,
            items=self.items,
            batch=self.batch,
        )
        subflow = Subflow(
            id=f"{self.id}_subflow",
            type=Subflow.type_name,
            namespace=self.namespace,
            flow_id=self.flow_id,
            revision=self.revision,
            inputs=_batch_uri(self.inputs),
            labels=self.labels,
            wait=self.wait,
            transmit_failed=self.transmit_failed,
            inherit_labels=self.inherit_labels,
            schedule_date=self.schedule_date,
        )
        loop = ForEach(
            id=f"{self.id}_items",
            type=ForEach.type_name,
            values=f"{{{{ outputs['{split.id}'].uris }}}}",
            concurrency_limit=0,
            tasks=[subflow],
        )
        merge = ForEachItemMerge(
            id=f"{self.id}_merge",
            type=ForEachItemMerge.type_name,
            subflow_task_id=subflow.id,
            split_task_id=split.id,
        )
        self._internal = [split, loop, merge]

    @property
    def tasks(self) -> list[Task]:
        """The internal tasks, run in order: the split, the loop of subflows, the merge."""
        return self._internal

    def child_task_lists(self) -> Iterator[tuple[str, list[Task]]]:
        """Yield the internal tasks, then ``errors`` and ``finally``."""
        yield "tasks", self._internal
        yield from super().child_task_lists()


def _batch_uri(value: Any) -> Any:
    """Kestra's ``taskrun.items`` is, inside the loop, the loop value: ``taskrun.value``."""
    if isinstance(value, str):
        return _ITEMS.sub("taskrun.value", value)
    if isinstance(value, dict):
        return {key: _batch_uri(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_batch_uri(item) for item in value]
    return value


__all__ = ["Batch", "ForEachItem", "ForEachItemMerge", "ForEachItemSplit"]
