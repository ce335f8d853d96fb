"""The executor in this process: what it does with flows it has not seen, and engine errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from runtime_helpers import SnapshotWatcher, ended, submit, worker_task_of

from executor.processor import ExecutorProcessor
from orchestrator.kafka import TOPICS, KafkaProducer
from orchestrator.models.execution import new_id
from orchestrator.models.messages import CreateExecution, WorkerTaskResult
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings
from orchestrator.templating import TemplateRenderer

pytestmark = pytest.mark.integration


_THREADS: dict[int, threading.Thread] = {}


@pytest.fixture
def processor(deployed: KestrelSettings) -> Iterator[ExecutorProcessor]:
    running = ExecutorProcessor(deployed, "in-test-executor", TemplateRenderer())
    yield running
    running.stop()
    thread = _THREADS.pop(id(running), None)
    if thread is not None:
        thread.join(timeout=30)
    else:
        running.close()


def _start(processor: ExecutorProcessor) -> None:
    thread = threading.Thread(target=processor.run, name="executor", daemon=True)
    _THREADS[id(processor)] = thread
    thread.start()


def _record_calls(target: Any, name: str, calls: list[bool], busy: Callable[[], bool]) -> None:
    original = getattr(target, name)

    def recorded(*args: Any, **kwargs: Any) -> Any:
        calls.append(busy())
        return original(*args, **kwargs)

    setattr(target, name, recorded)


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)  # polling a condition, bounded by the deadline


def test_flows_are_never_read_inside_an_open_transaction(
    processor: ExecutorProcessor, watcher: SnapshotWatcher
) -> None:
    # The reported fault: a blocking 0.2 s poll of the flow topics inside the transaction,
    # for every event whose flow was unknown.
    in_transaction: list[bool] = []
    busy = lambda: processor._producer._in_transaction  # noqa: E731
    _record_calls(processor.flows, "poll", in_transaction, busy)
    _record_calls(processor.flows, "catch_up", in_transaction, busy)
    creates = [
        CreateExecution(execution_id=new_id(), namespace="kestrel.crash", flow_id="nowhere")
        for _ in range(20)
    ]
    _start(processor)
    submit(processor.settings, creates)

    _wait(lambda: len(watcher.logged("Unable to find flow")) >= 20, 60, "20 unknown-flow errors")
    known = submit(
        processor.settings,
        [CreateExecution(execution_id=new_id(), namespace="kestrel.crash", flow_id="quick")],
    )
    watcher.wait_for(known, ended, timeout=60)

    assert in_transaction, "the flow topics were never read"
    assert not any(in_transaction), "the flow topics were read inside a transaction"


def test_an_engine_error_fails_one_execution_and_the_executor_goes_on(
    processor: ExecutorProcessor, watcher: SnapshotWatcher
) -> None:
    # No worker runs here: the test plays the worker, with a result that passes the schema
    # and makes the engine raise (a Labels output without keys).
    _start(processor)
    [broken] = submit(
        processor.settings,
        [CreateExecution(execution_id=new_id(), namespace="kestrel.crash", flow_id="labelled")],
    )
    task = worker_task_of(processor.settings, broken)
    with KafkaProducer(processor.settings) as producer:
        for state, outputs in ((StateType.RUNNING, None), (StateType.SUCCESS, {"labels": [{}]})):
            result = WorkerTaskResult(
                execution_id=broken,
                task_run_id=task.task_run.id,
                attempt=task.attempt,
                state=state,
                worker_id="test-worker",
                outputs=outputs,
            )
            producer.send(TOPICS.worker_results, broken, result)
        producer.flush()

    [failed] = watcher.wait_for([broken], ended, timeout=60).values()
    assert failed.state.current is StateType.FAILED
    assert any("internal error" in entry.message for entry in watcher.logged("KeyError"))
    after = submit(
        processor.settings,
        [CreateExecution(execution_id=new_id(), namespace="kestrel.crash", flow_id="quick")],
    )
    [served] = watcher.wait_for(after, ended, timeout=60).values()
    assert served.state.current is StateType.SUCCESS
