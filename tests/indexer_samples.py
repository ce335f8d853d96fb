"""Executions, task runs and log lines for the indexer's tests, and helpers to run it."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import confluent_kafka

from indexer.service import Indexer
from orchestrator.kafka import TOPICS, Topics, TopicSpec
from orchestrator.models import Execution, Label, State, StateType, TaskRun, TaskRunAttempt
from orchestrator.models.messages import FlowRecord, LogEntry, TriggerState
from orchestrator.settings import IndexerSettings, KestrelSettings
from orchestrator.tasks.base import LogLevel

T0 = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)

ResultT = TypeVar("ResultT")


def wait_until(
    condition: Callable[[], ResultT], timeout: float = 15.0, what: str = "condition"
) -> ResultT:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what} not met within {timeout:g} s"
        time.sleep(0.05)


def quick(settings: KestrelSettings, **indexer: object) -> KestrelSettings:
    """``settings`` with an indexer group of its own and short flush and retry delays."""
    name = uuid.uuid4().hex[:10]
    options = {
        "group_id": f"test-indexer-{name}",
        "instance_id": f"test-indexer-{name}",
        "flush_interval": 0.2,
        "retry_initial_backoff": 0.2,
        "retry_max_backoff": 1.0,
        **indexer,
    }
    return settings.model_copy(update={"indexer": IndexerSettings.model_validate(options)})


@contextmanager
def running(indexer: Indexer, timeout: float = 20.0) -> Iterator[Indexer]:
    """Run ``indexer`` in a thread; stop it and check it ended cleanly on exit."""
    failures: list[BaseException] = []

    def body() -> None:
        try:
            indexer.run()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=body, name="indexer")
    thread.start()
    try:
        wait_until(lambda: indexer.ready.is_set() or failures, timeout, "indexer ready")
        yield indexer
    finally:
        indexer.stop()
        thread.join(timeout)
    assert not thread.is_alive(), "the indexer did not stop"
    assert not failures, f"the indexer failed: {failures[0]!r}"


def task_run(
    execution_id: str,
    task_id: str,
    state: StateType,
    started: datetime,
    seconds: float,
    attempts: int = 1,
    **fields: object,
) -> TaskRun:
    """A task run that started at ``started`` and reached ``state`` after ``seconds``."""
    history = State.of(StateType.CREATED, started).with_state(StateType.RUNNING, started)
    if state is not StateType.RUNNING:
        history = history.with_state(state, started + timedelta(seconds=seconds))
    return TaskRun(
        id=f"{execution_id}-{task_id}",
        execution_id=execution_id,
        namespace=str(fields.pop("namespace", "company.team")),
        flow_id=str(fields.pop("flow_id", "hello")),
        task_id=task_id,
        attempts=tuple(
            TaskRunAttempt(state=history, worker_id=f"worker-{n}") for n in range(attempts)
        ),
        state=history,
        **fields,  # type: ignore[arg-type]
    )


def snapshots(
    execution_id: str,
    final: StateType = StateType.SUCCESS,
    *,
    namespace: str = "company.team",
    flow_id: str = "hello",
    started: datetime = T0,
    seconds: float = 2.0,
    labels: dict[str, str] | None = None,
) -> list[Execution]:
    """The snapshots an executor writes for one execution: seq 1 (created), 2, 3 (final).

    The final snapshot has two task runs: ``first`` (SUCCESS) and ``second`` (``final``).
    """
    created = State.of(StateType.CREATED, started)
    running = created.with_state(StateType.RUNNING, started + timedelta(milliseconds=10))
    ended = running.with_state(final, started + timedelta(seconds=seconds))
    base = Execution(
        id=execution_id,
        namespace=namespace,
        flow_id=flow_id,
        flow_revision=1,
        seq=1,
        state=created,
        labels=tuple(Label(key=k, value=v) for k, v in (labels or {}).items()),
        inputs={"free": {"form": [1, "two"]}},
    )
    first = task_run(execution_id, "first", StateType.SUCCESS, started, seconds / 2)
    second = task_run(
        execution_id,
        "second",
        final,
        started + timedelta(seconds=seconds / 2),
        seconds / 2,
        attempts=2,
        parent_task_run_id=first.id,
        namespace=namespace,
        flow_id=flow_id,
    )
    return [
        base,
        base.model_copy(update={"seq": 2, "state": running, "task_run_list": (first,)}),
        base.model_copy(
            update={
                "seq": 3,
                "state": ended,
                "task_run_list": (first, second),
                "outputs": {"anything": {"nested": True}},
            }
        ),
    ]


def log_line(
    execution: Execution,
    message: str,
    at: datetime,
    level: LogLevel = LogLevel.INFO,
    task_id: str | None = None,
) -> LogEntry:
    """A log line of ``execution``."""
    return LogEntry(
        execution_id=execution.id,
        namespace=execution.namespace,
        flow_id=execution.flow_id,
        task_id=task_id,
        level=level,
        message=message,
        timestamp=at,
    )


def flow_record(namespace: str, flow_id: str, revision: int, **flow: object) -> FlowRecord:
    """A flow record with a minimal parsed flow."""
    parsed = {"id": flow_id, "namespace": namespace, "tasks": [{"id": "t"}], **flow}
    return FlowRecord(
        namespace=namespace,
        id=flow_id,
        revision=revision,
        source=f"id: {flow_id}\nnamespace: {namespace}\n",
        flow=parsed,
        updated=T0 + timedelta(minutes=revision),
    )


def trigger_state(namespace: str, flow_id: str, trigger_id: str) -> TriggerState:
    """A trigger state due a day after ``T0``."""
    return TriggerState(
        namespace=namespace,
        flow_id=flow_id,
        trigger_id=trigger_id,
        flow_revision=1,
        next_date=T0 + timedelta(days=1),
        updated=T0,
    )


def uncommitted(settings: KestrelSettings, spec: TopicSpec[Any] = TOPICS.executions) -> int:
    """Records of ``spec``'s topic the indexer's group has not committed yet."""
    name = Topics.from_settings(settings).name(spec)
    probe = confluent_kafka.Consumer(
        {"bootstrap.servers": settings.kafka.bootstrap, "group.id": settings.indexer.group_id}
    )
    try:
        partitions = probe.list_topics(name, timeout=10).topics[name].partitions
        wanted = [confluent_kafka.TopicPartition(name, p) for p in partitions]
        lag = 0
        for committed in probe.committed(wanted, timeout=10):
            _, high = probe.get_watermark_offsets(committed, timeout=10)
            lag += high - max(committed.offset, 0)
        return lag
    finally:
        probe.close()
