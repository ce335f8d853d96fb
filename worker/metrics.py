"""What the worker counts: task runs running, ended, timed out, and how long they waited."""

from __future__ import annotations

import time

from orchestrator.kafka import KafkaConsumer, Record
from orchestrator.management.metrics import (
    WORKER_ENDED,
    WORKER_PENDING,
    WORKER_QUEUED_DURATION,
    WORKER_RUNNING,
    WORKER_TIMEOUT,
)
from orchestrator.models.messages import WorkerTask, WorkerTaskResult

_TIMEOUT_ERROR = "Timeout"  # the failure type `worker.runner` gives a timed-out attempt


def task_type(task: WorkerTask) -> str:
    """The task's type as the flow wrote it (bounded: one value per task type)."""
    return str(task.task.get("type", "unknown"))


def observe_started(records: list[Record], tasks: list[WorkerTask]) -> None:
    """Task runs taken (their start committed): running now, after waiting in Kafka."""
    now_ms = time.time() * 1000
    for record in records:
        if record.timestamp is not None:
            WORKER_QUEUED_DURATION.observe(max(0.0, (now_ms - record.timestamp) / 1000))
    for task in tasks:
        WORKER_RUNNING.labels(task_type(task)).inc()


def observe_ended(task: WorkerTask, result: WorkerTaskResult) -> None:
    """An attempt ended with ``result`` (reported, or given up at shutdown)."""
    kind = task_type(task)
    WORKER_ENDED.labels(kind, result.state.value).inc()
    if result.failure is not None and result.failure.error_type == _TIMEOUT_ERROR:
        WORKER_TIMEOUT.labels(kind).inc()


def observe_freed(task: WorkerTask) -> None:
    """The attempt's slot is free again."""
    WORKER_RUNNING.labels(task_type(task)).dec()


def observe_pending(consumer: KafkaConsumer) -> None:
    """Task runs waiting in this worker's partitions of ``worker-tasks``."""
    WORKER_PENDING.set(sum(each.lag for each in consumer.lag()))
