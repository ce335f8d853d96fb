"""Storage tasks, Assert and TemplatedTask, run in-process on a temporary storage."""

from __future__ import annotations

from pathlib import Path

import pytest
from plugin_context import Logs, context_of, run_task, task_of

from orchestrator.models.workdir import SharedDirectory
from orchestrator.plugin import TaskFailedError
from orchestrator.storage import LocalStorage

S = "io.kestra.plugin.core.storage."


def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


def test_write_then_size_concat_split_delete(tmp_path: Path) -> None:
    first = run_task({"type": S + "Write", "content": "a\nb\nc\n", "extension": "txt"}, tmp_path)
    assert first["uri"].endswith(".txt") and first["size"] == 6
    second = run_task({"type": S + "Write", "content": {"k": 1}}, tmp_path)
    assert storage(tmp_path).get(second["uri"]) == b'{"k": 1}'
    assert run_task({"type": S + "Size", "uri": first["uri"]}, tmp_path) == {"size": 6}
    joined = run_task(
        {"type": S + "Concat", "files": [first["uri"], first["uri"]], "separator": "--\n"},
        tmp_path,
    )
    assert storage(tmp_path).get(joined["uri"]) == b"a\nb\nc\n--\na\nb\nc\n"
    by_json = run_task(
        {"type": S + "Concat", "files": '["{{ u }}"]', "extension": ".csv"},
        tmp_path,
        u=first["uri"],
    )
    assert by_json["uri"].endswith(".csv")
    rows = run_task({"type": S + "Split", "from": first["uri"], "rows": 2}, tmp_path)
    assert [storage(tmp_path).get(uri) for uri in rows["uris"]] == [b"a\nb\n", b"c\n"]
    parts = run_task({"type": S + "Split", "from": first["uri"], "partitions": 2}, tmp_path)
    assert len(parts["uris"]) == 2
    sized = run_task({"type": S + "Split", "from": first["uri"], "bytes": "4"}, tmp_path)
    assert len(sized["uris"]) == 2  # two 2-byte lines fit in 4 bytes
    deleted = run_task({"type": S + "Delete", "uri": first["uri"]}, tmp_path)
    assert deleted["deleted"] is True
    assert run_task({"type": S + "Delete", "uri": first["uri"]}, tmp_path)["deleted"] is False
    with pytest.raises(TaskFailedError, match="Unable to find file"):
        run_task({"type": S + "Delete", "uri": first["uri"], "errorOnMissing": True}, tmp_path)


def test_size_of_a_missing_file_fails(tmp_path: Path) -> None:
    with pytest.raises(TaskFailedError, match="no file is stored"):
        run_task({"type": S + "Size", "uri": "kestra://company.team/none.txt"}, tmp_path)


def test_purge_current_execution_files(tmp_path: Path) -> None:
    keep = storage(tmp_path).put("company.team/flow/executions/other/x", b"1")
    mine = storage(tmp_path).put("company.team/flow/executions/exec1/tasks/t/r/x", b"1")
    outputs = run_task({"type": S + "PurgeCurrentExecutionFiles"}, tmp_path)
    assert outputs["uris"] == [mine]
    assert storage(tmp_path).exists(keep) and not storage(tmp_path).exists(mine)


def test_local_files_in_a_shared_directory(tmp_path: Path) -> None:
    shared = SharedDirectory(task_run_id="wd1", task_id="wd", input_files={"in.txt": "seed"})
    task = task_of({"type": S + "LocalFiles", "inputs": {"a.txt": "{{ v }}"}, "outputs": ["*.txt"]})
    ctx = context_of(task, tmp_path, v="hello")
    ctx.shared_directory = shared
    outputs = task.run(ctx) or {}
    assert sorted(outputs["uris"]) == ["a.txt", "in.txt"]
    assert storage(tmp_path).get(outputs["uris"]["a.txt"]) == b"hello"
    with pytest.raises(TaskFailedError, match="relative path"):
        run_task({"type": S + "LocalFiles", "inputs": {"../x": "no"}}, tmp_path)


def test_assert_fails_naming_the_false_conditions(tmp_path: Path) -> None:
    assert (
        run_task(
            {
                "type": "io.kestra.plugin.core.execution.Assert",
                "conditions": ["{{ 1 == 1 }}", True],
            },
            tmp_path,
        )
        == {}
    )
    logs = Logs()
    task = task_of(
        {
            "type": "io.kestra.plugin.core.execution.Assert",
            "conditions": ["{{ x > 2 }}", "{{ x == 1 }}"],
            "errorMessage": "x is {{ x }}",
        }
    )
    with pytest.raises(TaskFailedError, match="x is 1"):
        task.run(context_of(task, tmp_path, logs, x=1))
    assert "Assertion `{{ x > 2 }}` failed!" in logs.text()


def test_templated_task_runs_the_rendered_spec(tmp_path: Path) -> None:
    outputs = run_task(
        {
            "type": "io.kestra.plugin.core.templating.TemplatedTask",
            "spec": "type: {{ kind }}\nformat: hello {{ who }}",
        },
        tmp_path,
        kind="io.kestra.plugin.core.debug.Return",
        who="ada",
    )
    assert outputs == {"value": "hello ada"}
    with pytest.raises(TaskFailedError, match="runnable"):
        run_task(
            {
                "type": "io.kestra.plugin.core.templating.TemplatedTask",
                "spec": (
                    "type: io.kestra.plugin.core.flow.Sequential\n"
                    "tasks: [{id: a, type: io.kestra.plugin.core.log.Log, message: x}]"
                ),
            },
            tmp_path,
        )


ITEMS = b'{"id": 1, "v": 5}\n{"id": 2, "v": 1}\n{"id": 1, "v": 7}\n{"id": 3, "v": null}\n'


def test_filter_items_include_exclude_and_nulls(tmp_path: Path) -> None:
    uri = storage(tmp_path).put("company.team/f/items.ion", ITEMS)
    base = {"type": S + "FilterItems", "from": uri, "filterCondition": "{{ v > 2 }}"}
    with pytest.raises(TaskFailedError, match="item 4"):
        run_task(base, tmp_path)
    kept = run_task({**base, "errorOrNullBehavior": "EXCLUDE"}, tmp_path)
    assert kept["processedItemsTotal"] == 4 and kept["droppedItemsTotal"] == 2
    assert storage(tmp_path).get(kept["uri"]) == b'{"id":1,"v":5}\n{"id":1,"v":7}\n'
    dropped = run_task(
        {**base, "filterType": "EXCLUDE", "errorOrNullBehavior": "INCLUDE"}, tmp_path
    )
    assert storage(tmp_path).get(dropped["uri"]) == b'{"id":2,"v":1}\n{"id":3,"v":null}\n'


def test_deduplicate_items_keeps_the_last_of_each_key(tmp_path: Path) -> None:
    uri = storage(tmp_path).put("company.team/f/items.ion", ITEMS)
    outputs = run_task({"type": S + "DeduplicateItems", "from": uri, "expr": "{{ id }}"}, tmp_path)
    assert outputs["droppedItemsTotal"] == 1
    expected = b'{"id":1,"v":7}\n{"id":2,"v":1}\n{"id":3,"v":null}\n'
    assert storage(tmp_path).get(outputs["uri"]) == expected


def test_items_read_the_ion_text_kestra_writes(tmp_path: Path) -> None:
    ion = storage(tmp_path).put(
        "company.team/f/ion.ion",
        b'{id:1,name:"a",at:2024-01-02T03:04:05Z}\n{id:2,name:b}\n{id:1,name:"c"}\n',
    )
    deduplicated = run_task(
        {"type": S + "DeduplicateItems", "from": ion, "expr": "{{ id }}"}, tmp_path
    )
    assert deduplicated["droppedItemsTotal"] == 1
    assert (
        storage(tmp_path).get(deduplicated["uri"]) == b'{"id":1,"name":"c"}\n{"id":2,"name":"b"}\n'
    )
    kept = run_task(
        {"type": S + "FilterItems", "from": ion, "filterCondition": "{{ name == 'a' }}"}, tmp_path
    )
    assert kept["processedItemsTotal"] == 3 and kept["droppedItemsTotal"] == 2
    written = storage(tmp_path).get(kept["uri"]).decode()
    assert written.startswith("{id:1,name:") and "2024-01-02T03:04:05" in written  # Ion again
    broken = storage(tmp_path).put("company.team/f/broken.ion", b"{id:1}\n{id: [1,\n")
    with pytest.raises(TaskFailedError, match="line 2 is not an Ion value"):
        run_task({"type": S + "DeduplicateItems", "from": broken, "expr": "{{ id }}"}, tmp_path)
