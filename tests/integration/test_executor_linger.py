"""A quick task's RUNNING report and its result share one transaction of the executor.

The test plays the worker: it sends the RUNNING report, waits until the executor has polled
it, then sends the result. With the linger the executor holds the report until the result
comes, so no snapshot ever shows the run RUNNING, and the run's dates are the worker's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from runtime_helpers import SnapshotWatcher, ended, submit, worker_task_of

from executor.processor import ExecutorProcessor
from orchestrator.kafka import TOPICS, KafkaProducer, Record
from orchestrator.models.execution import new_id
from orchestrator.models.messages import CreateExecution, WorkerTaskResult
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings
from orchestrator.templating import TemplateRenderer

pytestmark = pytest.mark.integration


@pytest.fixture
def lingering(deployed: KestrelSettings) -> Iterator[tuple[ExecutorProcessor, list[Record]]]:
    """An executor that waits up to a minute after RUNNING reports, and what it polled."""
    runtime = deployed.runtime.model_copy(update={"running_linger": 60.0})
    settings = deployed.model_copy(update={"runtime": runtime})
    processor = ExecutorProcessor(settings, "lingering-executor", TemplateRenderer())
    polled: list[Record] = []
    poll_batch = processor._consumer.poll_batch

    def recording(max_messages: int = 500, timeout: float = 1.0) -> list[Record]:
        records = poll_batch(max_messages, timeout)
        polled.extend(records)
        return records

    processor._consumer.poll_batch = recording  # type: ignore[method-assign]
    thread = threading.Thread(target=processor.run, name="executor", daemon=True)
    thread.start()
    yield processor, polled
    processor.stop()
    thread.join(timeout=90)
    assert not thread.is_alive()


def _report(task_run_id: str, execution_id: str, state: StateType) -> WorkerTaskResult:
    outputs = {"labels": [{"key": "team", "value": "data"}]} if state.is_terminated else None
    return WorkerTaskResult(
        execution_id=execution_id,
        task_run_id=task_run_id,
        attempt=1,
        state=state,
        worker_id="test-worker",
        outputs=outputs,
    )


def test_a_running_report_waits_for_the_result_and_shares_its_snapshot(
    lingering: tuple[ExecutorProcessor, list[Record]], watcher: SnapshotWatcher
) -> None:
    processor, polled = lingering
    settings = processor.settings
    create = CreateExecution(execution_id=new_id(), namespace="kestrel.crash", flow_id="labelled")
    [execution_id] = submit(settings, [create])
    task = worker_task_of(settings, execution_id)
    running = _report(task.task_run.id, execution_id, StateType.RUNNING)
    with KafkaProducer(settings) as producer:
        producer.send(TOPICS.worker_results, execution_id, running)
        producer.flush()
        deadline = time.monotonic() + 60
        results_topic = TOPICS.worker_results.name(settings.kafka.topic_prefix)
        while not any(record.topic == results_topic for record in polled):
            assert time.monotonic() < deadline, "the executor never polled the RUNNING report"
            time.sleep(0.05)  # polling a condition, bounded by the deadline
        success = _report(task.task_run.id, execution_id, StateType.SUCCESS)
        producer.send(TOPICS.worker_results, execution_id, success)
        producer.flush()

    [done] = watcher.wait_for([execution_id], ended, timeout=60).values()
    assert done.state.current is StateType.SUCCESS
    run_states = [
        snapshot.task_run_list[0].state.current
        for snapshot in watcher.snapshots[execution_id]
        if snapshot.task_run_list
    ]
    assert StateType.RUNNING not in run_states, run_states
    # One seq per written snapshot: the two events of the batch count once.
    seqs = [snapshot.seq for snapshot in watcher.snapshots[execution_id]]
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    [run] = done.task_run_list
    histories = [(entry.state, entry.date) for entry in run.state.histories]
    assert [state for state, _ in histories] == [
        StateType.CREATED,
        StateType.RUNNING,
        StateType.SUCCESS,
    ]
    # The dates are the worker's, not the executor's one time for the whole batch.
    assert histories[1][1] == running.at
    assert histories[2][1] == success.at
    assert run.attempts[0].state.histories[-1].date == success.at
