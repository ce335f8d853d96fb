"""ForEachItem: its internal split and loop tasks, and the batches of the split."""

from __future__ import annotations

from pathlib import Path

import pytest
from plugin_context import run_task

from orchestrator.models import Flow
from orchestrator.storage import LocalStorage
from orchestrator.tasks.flow import ForEach, Subflow
from orchestrator.tasks.foreach_item import ForEachItem, ForEachItemMerge, ForEachItemSplit
from orchestrator.tasks.split import SplitError, split_items

TEXT = "".join(f"{i}\n" for i in range(10))


def test_split_items_by_rows_size_and_partitions() -> None:
    assert split_items(TEXT, rows=4) == ["0\n1\n2\n3\n", "4\n5\n6\n7\n", "8\n9\n"]
    assert len(split_items(TEXT)) == 10
    assert split_items(TEXT, size="6") == ["0\n1\n2\n", "3\n4\n5\n", "6\n7\n8\n", "9\n"]
    assert split_items(TEXT, partitions=3) == ["0\n3\n6\n9\n", "1\n4\n7\n", "2\n5\n8\n"]
    assert split_items("a;b;c", separator=";", rows=2) == ["a;b;", "c;"]
    with pytest.raises(SplitError):
        split_items(TEXT, size="lots")


def test_for_each_item_builds_its_internal_tasks() -> None:
    flow = Flow.model_validate(
        {
            "id": "f",
            "namespace": "n",
            "tasks": [
                {
                    "id": "each",
                    "type": "io.kestra.plugin.core.flow.ForEachItem",
                    "items": "{{ inputs.file }}",
                    "batch": {"rows": 10},
                    "namespace": "n",
                    "flowId": "child",
                    "wait": False,
                    "inputs": {"data": "{{ taskrun.items }}", "n": "{{ taskrun.iteration }}"},
                }
            ],
        }
    )
    [task] = flow.tasks
    assert isinstance(task, ForEachItem)
    split, loop, merge = task.tasks
    assert isinstance(merge, ForEachItemMerge) and merge.subflow_task_id == "each_subflow"
    assert isinstance(split, ForEachItemSplit) and split.id == "each_split"
    assert isinstance(loop, ForEach) and loop.concurrency_limit == 0
    [subflow] = loop.tasks
    assert isinstance(subflow, Subflow) and subflow.wait is False
    assert subflow.inputs == {"data": "{{ taskrun.value }}", "n": "{{ taskrun.iteration }}"}
    ids = [each.id for each in flow.all_tasks()]
    assert ids == ["each", "each_split", "each_items", "each_subflow", "each_merge"]


def test_split_task_stores_the_batches(tmp_path: Path) -> None:
    uri = LocalStorage(tmp_path / "storage").put("company.team/f/in.csv", TEXT.encode())
    outputs = run_task(
        {
            "type": "kestrel.core.flow.ForEachItemSplit",
            "items": "{{ file }}",
            "batch": {"rows": 5},
        },
        tmp_path,
        file=uri,
    )
    assert outputs["numberOfBatches"] == 2
    assert [uri.rsplit("/", 1)[-1] for uri in outputs["uris"]] == ["batch-0.csv", "batch-1.csv"]
    assert LocalStorage(tmp_path / "storage").get(outputs["uris"][1]) == b"5\n6\n7\n8\n9\n"


def test_merge_gathers_the_children_outputs_in_batch_order(tmp_path: Path) -> None:
    uris = ["kestrel://n/f/b0", "kestrel://n/f/b1"]
    outputs = run_task(
        {
            "type": "kestrel.core.flow.ForEachItemMerge",
            "subflowTaskId": "each_subflow",
            "splitTaskId": "each_split",
        },
        tmp_path,
        outputs={
            "each_split": {"uris": uris},
            "each_subflow": {
                uris[1]: {"state": "FAILED"},
                uris[0]: {"state": "SUCCESS", "outputs": {"n": 1}},
            },
        },
    )
    assert outputs["iterations"] == {"SUCCESS": 1, "FAILED": 1}
    assert outputs["numberOfBatches"] == 2
    stored = LocalStorage(tmp_path / "storage").get(outputs["subflowOutputs"])
    assert stored == b'{"n":1}\n{}\n'
