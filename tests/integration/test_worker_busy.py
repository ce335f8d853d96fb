"""A worker whose every slot is busy stays in its group: it pauses and keeps polling."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_PARTITIONS

from orchestrator.kafka import TOPICS, KafkaProducer, TopicTail, ensure_topics
from orchestrator.models.execution import TaskRun, new_id
from orchestrator.models.messages import WorkerTask, WorkerTaskResult
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings
from orchestrator.templating import TemplateRenderer
from worker.service import WorkerService

pytestmark = pytest.mark.integration

MAX_POLL_MS = 6000
"""A ``max.poll.interval.ms`` shorter than the task below (the broker allows no shorter
session, and librdkafka wants the poll interval no shorter than the session)."""


def shell_task(commands: list[str], execution_id: str | None = None) -> WorkerTask:
    """A WorkerTask running shell ``commands``, as the executor would send it."""
    execution_id = execution_id or new_id()
    task = {"id": "work", "type": "io.kestra.plugin.scripts.shell.Commands", "commands": commands}
    run = TaskRun(
        id=new_id(), execution_id=execution_id, namespace="n", flow_id="f", task_id="work"
    )
    return WorkerTask(task_run=run, attempt=1, task=task, flow_revision=1)


def send_tasks(
    settings: KestrelSettings, tasks: list[WorkerTask], partitions: list[int] | None = None
) -> None:
    with KafkaProducer(settings) as producer:
        for index, task in enumerate(tasks):
            partition = partitions[index] if partitions is not None else None
            producer.send(TOPICS.worker_tasks, task.task_run.id, task, partition=partition)
        producer.flush()


class Results:
    """Every result on ``worker-results`` since it was created, read on demand."""

    def __init__(self, settings: KestrelSettings) -> None:
        self._tail = TopicTail(settings, [TOPICS.worker_results], from_beginning=True)
        self.seen: list[WorkerTaskResult] = []

    def of(self, run_id: str) -> list[StateType]:
        return [result.state for result in self.seen if result.task_run_id == run_id]

    def wait_for(self, done: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, f"not within {timeout} s: {what}; {self.seen}"
            for record in self._tail.poll(timeout=0.2):
                result = record.decoded_value(TOPICS.worker_results)
                assert isinstance(result, WorkerTaskResult)
                self.seen.append(result)

    def close(self) -> None:
        self._tail.close()


@contextmanager
def running_worker(settings: KestrelSettings, instance_id: str) -> Iterator[WorkerService]:
    """A one-slot worker running in a thread; it must end without an error."""
    worker = WorkerService(settings, instance_id, TemplateRenderer(), threads=1)
    errors: list[BaseException] = []

    def body() -> None:
        try:
            worker.run()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=body, name=instance_id)
    thread.start()
    try:
        yield worker
        assert not errors, f"the worker stopped with {errors[0]!r}"
        assert thread.is_alive(), "the worker stopped by itself"
    finally:
        worker.stop()
        thread.join(60)
    assert not errors, f"the worker stopped with {errors[0]!r}"


@pytest.fixture
def quick_group(settings: KestrelSettings) -> KestrelSettings:
    """Settings whose consumers must poll every 6 s (and are evicted otherwise)."""
    extra = {
        **settings.kafka.extra,
        "max.poll.interval.ms": str(MAX_POLL_MS),
        "session.timeout.ms": str(MAX_POLL_MS),
    }
    quick = settings.model_copy(
        update={"kafka": settings.kafka.model_copy(update={"extra": extra})}
    )
    ensure_topics(quick)
    return quick


def test_a_task_longer_than_the_poll_interval_keeps_the_partitions(
    quick_group: KestrelSettings, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    long = shell_task([f'while [ ! -e "{go}" ]; do sleep 0.05; done', "echo done"])
    after = shell_task(["echo after"])
    results = Results(quick_group)
    try:
        with running_worker(quick_group, "busy-worker") as worker:
            send_tasks(quick_group, [long])
            results.wait_for(lambda: results.of(long.task_run.id), 30, "the long task started")
            send_tasks(quick_group, [after])
            # Hold the only slot for longer than the poll interval, then let the task end.
            held = time.monotonic() + 1.5 * MAX_POLL_MS / 1000
            results.wait_for(lambda: time.monotonic() > held, 30, "the slot held")
            assert not results.of(after.task_run.id), "a second task started on a busy slot"
            go.touch()
            results.wait_for(
                lambda: StateType.SUCCESS in results.of(after.task_run.id), 30, "the next task"
            )
            assert worker._consumer.assignment(), "the worker lost its partitions"
        assert results.of(long.task_run.id) == [StateType.RUNNING, StateType.SUCCESS]
        assert results.of(after.task_run.id) == [StateType.RUNNING, StateType.SUCCESS]
        assert {result.worker_id for result in results.seen} == {worker.worker_id}
    finally:
        results.close()


def test_a_rebalance_while_paused_loses_and_repeats_nothing(
    quick_group: KestrelSettings, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    first = shell_task([f'while [ ! -e "{go}" ]; do sleep 0.05; done'])
    # Two on every partition, so that whichever partitions the second member gets, it has
    # work to take while the first member is still paused.
    partitions = [p for p in range(TEST_PARTITIONS) for _ in range(2)]
    queued = [shell_task(["echo queued"]) for _ in partitions]
    results = Results(quick_group)
    try:
        with running_worker(quick_group, "paused-worker") as paused:
            send_tasks(quick_group, [first], [0])
            results.wait_for(lambda: results.of(first.task_run.id), 30, "the first task started")
            send_tasks(quick_group, queued, partitions)
            # A second member joins while the first is paused: the partitions are shared out.
            with running_worker(quick_group, "joining-worker") as joining:
                results.wait_for(
                    lambda: any(r.worker_id == joining.worker_id for r in results.seen),
                    60,
                    "the joining worker took some of the queued tasks",
                )
                go.touch()
                every = [first, *queued]
                results.wait_for(
                    lambda: all(StateType.SUCCESS in results.of(t.task_run.id) for t in every),
                    60,
                    "every task ran",
                )
        for task in [first, *queued]:
            assert results.of(task.task_run.id) == [StateType.RUNNING, StateType.SUCCESS]
        assert {r.worker_id for r in results.seen} == {paused.worker_id, joining.worker_id}
    finally:
        results.close()
