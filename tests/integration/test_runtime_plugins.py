"""Plugin task types through the Kafka runtime (`kestrel server standalone`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from plugin_context import http_server
from runtime_helpers import KestrelProcess, SnapshotWatcher, ended, standalone_server, submit

from orchestrator.cli.deploy import deploy_files
from orchestrator.models.execution import Execution, new_id
from orchestrator.models.messages import CreateExecution
from orchestrator.settings import KestrelSettings
from orchestrator.storage import LocalStorage

pytestmark = pytest.mark.integration
FLOWS = Path(__file__).resolve().parents[1] / "flows" / "plugins"
BIG = b"y" * 300_000


@pytest.fixture
def standalone(settings: KestrelSettings, tmp_path: Path) -> Iterator[KestrelProcess]:
    from orchestrator.kafka import ensure_topics

    ensure_topics(settings)
    deploy_files(settings, [FLOWS])
    with standalone_server(settings, tmp_path) as process:
        yield process


def run_flow(
    settings: KestrelSettings,
    watcher: SnapshotWatcher,
    flow_id: str,
    inputs: dict[str, Any] | None = None,
    timeout: float = 60,
) -> Execution:
    """Submit one execution of a test flow and wait for its end."""
    create = CreateExecution(
        execution_id=new_id(), namespace="kestrel.plugins", flow_id=flow_id, inputs=inputs
    )
    [execution_id] = submit(settings, [create])
    return watcher.wait_for([execution_id], ended, timeout)[execution_id]


def outputs_of(execution: Execution, task_id: str) -> dict[str, Any]:
    [run] = [run for run in execution.task_run_list if run.task_id == task_id]
    return run.outputs or {}


def states(execution: Execution) -> dict[str, str]:
    return {run.task_id: run.state.current.value for run in execution.task_run_list}


@pytest.fixture
def http_app() -> Iterator[str]:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"body": await request.text()})

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404, text="gone")

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=BIG)

    async def data(request: web.Request) -> web.Response:
        return web.Response(body=b"a,b\n1,2\n")

    async def slow(request: web.Request) -> web.Response:
        import asyncio

        await asyncio.sleep(10)
        return web.Response(text="late")

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_get("/missing", missing)
    app.router.add_get("/big", big)
    app.router.add_get("/files/data", data)
    app.router.add_get("/slow", slow)
    with http_server(app) as url:
        yield url


def test_http_tasks_on_kafka(
    settings: KestrelSettings,
    standalone: KestrelProcess,
    watcher: SnapshotWatcher,
    http_app: str,
) -> None:
    done = run_flow(settings, watcher, "http", {"base": http_app})
    assert done.state.current.value == "SUCCESS", (states(done), standalone.output()[-2000:])
    assert outputs_of(done, "summary")["value"] == "kestrel 404 8"
    storage = LocalStorage(settings.storage.base_dir)
    assert storage.get(outputs_of(done, "big")["body"]) == BIG
    assert storage.get(outputs_of(done, "download")["uri"]) == b"a,b\n1,2\n"

    failed = run_flow(settings, watcher, "http-fails", {"base": http_app})
    assert failed.state.current.value == "FAILED"
    errors = {run.task_id: run.error or "" for run in failed.task_run_list}
    assert states(failed)["not_found"] == "FAILED"
    assert "response code '404'" in errors["not_found"], errors
    assert states(failed)["too_slow"] == "FAILED"
    assert "timed out" in errors["too_slow"], errors


def test_script_tasks_on_kafka(
    settings: KestrelSettings, standalone: KestrelProcess, watcher: SnapshotWatcher
) -> None:
    done = run_flow(settings, watcher, "scripts", timeout=180)
    assert done.state.current.value == "SUCCESS", (states(done), standalone.output()[-3000:])
    assert outputs_of(done, "summary")["value"] == "1.16.0 42"
    assert watcher.logged("six 1.16.0")  # the shell task read the staged kestrel:// file
    assert watcher.logged("instead of in the container image 'alpine:3.20'")


def test_working_directory_and_storage_tasks_on_kafka(
    settings: KestrelSettings, standalone: KestrelProcess, watcher: SnapshotWatcher
) -> None:
    shared = run_flow(settings, watcher, "workdir", timeout=120)
    assert shared.state.current.value == "SUCCESS", (states(shared), standalone.output()[-3000:])
    assert outputs_of(shared, "summary")["value"] == (
        "workdir from python / more / extra.txt,seed.txt,shared.txt"
    )
    files = run_flow(settings, watcher, "storage")
    assert files.state.current.value == "SUCCESS", (states(files), standalone.output()[-3000:])
    # The spec is YAML: the newlines read() returned fold into spaces in a quoted scalar.
    assert outputs_of(files, "templated")["value"] == "one two three"
    assert outputs_of(files, "dedup")["droppedItemsTotal"] == 1
    assert outputs_of(files, "filter")["droppedItemsTotal"] == 1
    # write, 3 parts, concat, then the items, deduplicated and filtered
    assert len(outputs_of(files, "purge")["uris"]) == 8
    stopped = run_flow(settings, watcher, "exit")
    assert stopped.state.current.value == "CANCELLED", states(stopped)
    assert states(stopped) == {"first": "SUCCESS", "stop": "CANCELLED"}


def test_kv_store_on_kafka_with_ttl_expiry(
    settings: KestrelSettings, standalone: KestrelProcess, watcher: SnapshotWatcher
) -> None:
    from runtime_helpers import kestrel_cli

    from orchestrator.kv.kafka import KafkaKvStore

    done = run_flow(settings, watcher, "kv")
    # refuse_overwrite fails on purpose (allowFailure): the execution ends WARNING.
    assert done.state.current.value == "WARNING", (states(done), standalone.output()[-3000:])
    # The Get of another worker task saw the Set (read-your-writes through the topic).
    assert outputs_of(done, "summary")["value"] == (
        "43 soon gone count,doc,ephemeral,short_lived none gone"
    )
    store = KafkaKvStore(settings)
    try:
        assert store.get("kestrel.plugins", "count") is not None
        [ephemeral] = [e for e in store._all().values() if e.key == "ephemeral"]
        assert ephemeral.expires is not None
        assert ephemeral.expires - ephemeral.updated == timedelta(seconds=1)
        deadline = time.monotonic() + 30
        while store.get("kestrel.plugins", "ephemeral") is not None:  # the ttl runs out
            assert time.monotonic() < deadline, "the pair outlived its ttl"
            time.sleep(0.1)  # polling a condition, bounded by the deadline
        assert "ephemeral" not in [e.key for e in store.list("kestrel.plugins")]
    finally:
        store.close()
    listed = kestrel_cli(settings, "kv", "list", "kestrel.plugins")
    assert listed.exit_code == 0, listed.output
    assert "count\tNUMBER\t42" in listed.output
    assert kestrel_cli(settings, "kv", "set", "kestrel.plugins", "cli", '{"a": 1}').exit_code == 0
    got = kestrel_cli(settings, "kv", "get", "kestrel.plugins", "cli")
    assert got.output.strip() == '{"a": 1}'
    assert "deleted" in kestrel_cli(settings, "kv", "delete", "kestrel.plugins", "cli").output
    missing = kestrel_cli(settings, "kv", "get", "kestrel.plugins", "cli")
    assert missing.exit_code == 1 and "no value for key 'cli'" in missing.output

    # WaitFor polls the pair that each of its iterations writes (read-your-writes again).
    polled = run_flow(settings, watcher, "wait-for")
    assert polled.state.current.value == "SUCCESS", (states(polled), standalone.output()[-3000:])
    assert outputs_of(polled, "poll") == {"iterationCount": 3, "conditionMet": True}
    assert outputs_of(polled, "purge") == {"size": 1}


def test_for_each_item_over_a_10000_line_file_on_kafka(
    settings: KestrelSettings, standalone: KestrelProcess, watcher: SnapshotWatcher
) -> None:
    done = run_flow(settings, watcher, "foreach-item", timeout=240)
    assert done.state.current.value == "SUCCESS", (states(done), standalone.output()[-3000:])
    # the merge: 10 batches, 10 SUCCESS, the first child's outputs in subflowOutputs
    assert outputs_of(done, "done")["value"] == '10 10 {"lines":1000}'
    children = [run for run in done.task_run_list if run.task_id == "each_subflow"]
    assert len(children) == 10
    child_ids = [(run.outputs or {})["executionId"] for run in children]
    # Each batch was its own child execution; each counted (and asserted) 1,000 lines.
    ended_children = watcher.wait_for(child_ids, ended, 60)
    for child in ended_children.values():
        assert child.state.current.value == "SUCCESS"
        assert outputs_of(child, "count")["vars"] == {"lines": 1000}


def test_resume_task_resumes_a_paused_execution_on_kafka(
    settings: KestrelSettings, standalone: KestrelProcess, watcher: SnapshotWatcher
) -> None:
    create = CreateExecution(
        execution_id=new_id(), namespace="kestrel.plugins", flow_id="wait-approval"
    )
    [waiting] = submit(settings, [create])
    paused = watcher.wait_for([waiting], lambda e: e.state.current.value == "PAUSED", 60)
    assert paused[waiting].state.current.value == "PAUSED"
    approver = run_flow(settings, watcher, "approve", {"waiting": waiting})
    assert approver.state.current.value == "SUCCESS", states(approver)
    resumed = watcher.wait_for([waiting], lambda e: e.state.current.is_terminated, 60)[waiting]
    assert resumed.state.current.value == "SUCCESS"
    assert outputs_of(resumed, "approved")["value"] == "approved by approve"


def test_log_fetch_and_count_read_what_was_indexed(
    settings: KestrelSettings, standalone: KestrelProcess, watcher: SnapshotWatcher
) -> None:
    from orchestrator.repository import Repositories
    from orchestrator.repository.logs import LogFilter

    noisy = run_flow(settings, watcher, "noisy")
    assert noisy.state.current.value == "SUCCESS"
    with Repositories.from_settings(settings) as repositories:
        deadline = time.monotonic() + 60
        while repositories.logs.count(LogFilter(execution_id=noisy.id, text="fetch")) < 1:
            assert time.monotonic() < deadline, "the WARN line was never indexed"
            time.sleep(0.2)  # polling a condition (the indexer's flush), bounded
    fetched = run_flow(settings, watcher, "fetch-logs", {"of": noisy.id})
    assert fetched.state.current.value == "SUCCESS", (states(fetched), standalone.output()[-2000:])
    assert outputs_of(fetched, "fetch")["size"] == 1

    from orchestrator.models.state import StateType
    from orchestrator.repository.executions import ExecutionFilter

    succeeded = ExecutionFilter(flow_id="noisy", states=(StateType.SUCCESS,))
    with Repositories.from_settings(settings) as repositories:
        deadline = time.monotonic() + 60
        while repositories.executions.count(succeeded) < 1:
            assert time.monotonic() < deadline, "the execution was never indexed"
            time.sleep(0.2)  # polling a condition (the indexer's flush), bounded
    counted = run_flow(settings, watcher, "count")
    assert counted.state.current.value == "SUCCESS", (states(counted), standalone.output()[-2000:])
    assert outputs_of(counted, "counts") == {
        "results": [{"namespace": "kestrel.plugins", "flowId": "noisy", "count": 1}],
        "total": 1,
    }


def _wait_until(check: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)  # polling a condition (the indexer's flush), bounded


def test_purge_tasks_remove_executions_and_logs(
    settings: KestrelSettings, standalone: KestrelProcess, watcher: SnapshotWatcher
) -> None:
    from orchestrator.kafka import TOPICS, read_topic_to_end
    from orchestrator.models.state import StateType
    from orchestrator.repository import Repositories
    from orchestrator.repository.executions import ExecutionFilter
    from orchestrator.repository.logs import LogFilter
    from orchestrator.tasks.base import LogLevel

    noisy = [run_flow(settings, watcher, "noisy") for _ in range(2)]
    ids = {execution.id for execution in noisy}
    of_noisy = LogFilter(namespace="kestrel.plugins", flow_id="noisy")
    info = LogFilter(namespace="kestrel.plugins", flow_id="noisy", levels=(LogLevel.INFO,))
    warn = LogFilter(namespace="kestrel.plugins", flow_id="noisy", levels=(LogLevel.WARN,))
    succeeded = ExecutionFilter(flow_id="noisy", states=(StateType.SUCCESS,))
    with Repositories.from_settings(settings) as repositories:
        _wait_until(lambda: repositories.logs.count(warn) >= 2, "WARN lines never indexed")
        _wait_until(lambda: repositories.logs.count(info) >= 2, "INFO lines never indexed")
        _wait_until(lambda: repositories.executions.count(succeeded) == 2, "never indexed")

        purged_logs = run_flow(settings, watcher, "purge-logs")
        assert purged_logs.state.current.value == "SUCCESS", standalone.output()[-2000:]
        assert outputs_of(purged_logs, "purge")["count"] >= 2
        assert repositories.logs.count(info) == 0
        assert repositories.logs.count(warn) == 2

        storage = LocalStorage(settings.storage.base_dir)
        kept = storage.put(f"kestrel.plugins/noisy/executions/{noisy[0].id}/tasks/x/f.txt", b"x")
        purged = run_flow(settings, watcher, "purge-executions")
        assert purged.state.current.value == "SUCCESS", [r.error for r in purged.task_run_list]
        outputs = outputs_of(purged, "purge")
        assert outputs["executionsCount"] == 2 and outputs["logsCount"] == 2, outputs
        assert outputs["storagesCount"] == 1 and not storage.exists(kept)
        assert repositories.logs.count(of_noisy) == 0
        _wait_until(lambda: repositories.executions.count(succeeded) == 0, "still indexed")
    # The executor wrote tombstones: the compacted topic no longer holds the executions.
    remaining = read_topic_to_end(settings, TOPICS.executions)
    assert not ids & set(remaining), "a purged execution is still on the executions topic"
    assert purged.id in remaining


def test_toggle_disables_a_trigger_through_the_scheduler(
    settings: KestrelSettings, standalone: KestrelProcess, watcher: SnapshotWatcher
) -> None:
    from orchestrator.scheduler.client import list_triggers

    done = run_flow(settings, watcher, "toggle")
    assert states(done) == {"disable": "SUCCESS", "unknown": "FAILED"}, standalone.output()[-2000:]
    [failure] = [run for run in done.task_run_list if run.task_id == "unknown"]
    assert "no trigger 'nope'" in str(failure.error)

    def disabled() -> bool:
        found = [s for s in list_triggers(settings, "kestrel.plugins") if s.trigger_id == "yearly"]
        return bool(found) and found[0].disabled

    _wait_until(disabled, "the scheduler never disabled the trigger")


def test_working_directory_files_namespace_files_and_cache(
    settings: KestrelSettings, standalone: KestrelProcess, watcher: SnapshotWatcher, tmp_path: Path
) -> None:
    from runtime_helpers import kestrel_cli

    scripts = tmp_path / "ns" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "hello.py").write_text("print('hello from the namespace')\n")
    (scripts / "skip.py").write_text("raise SystemExit(1)\n")
    (tmp_path / "ns" / "notes.txt").write_text("not included\n")
    uploaded = kestrel_cli(
        settings, "namespace", "files", "upload", "kestrel.plugins", str(tmp_path / "ns")
    )
    assert uploaded.exit_code == 0, uploaded.output
    listed = kestrel_cli(settings, "namespace", "files", "list", "kestrel.plugins")
    assert listed.output.split() == ["notes.txt", "scripts/hello.py", "scripts/skip.py"]

    first = run_flow(settings, watcher, "workdir-files", timeout=120)
    assert first.state.current.value == "SUCCESS", (states(first), standalone.output()[-3000:])
    assert sorted(outputs_of(first, "wdir")["outputFiles"]) == ["out/cached.txt", "out/hello.txt"]
    assert outputs_of(first, "report")["value"] == "hello from the namespace / none"
    # The second execution starts from the cache the first one saved.
    second = run_flow(settings, watcher, "workdir-files", timeout=120)
    assert second.state.current.value == "SUCCESS", (states(second), standalone.output()[-3000:])
    assert outputs_of(second, "report")["value"] == f"hello from the namespace / {first.id}"
