"""One attempt on a worker: a timed-out task really stops; a crash of the worker's code."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from orchestrator.models.execution import TaskRun
from orchestrator.models.messages import LogEntry, WorkerTask
from orchestrator.models.state import StateType
from orchestrator.plugin import LogLevel, RunContext
from orchestrator.tasks.base import TASK_TYPES, RunnableTask
from orchestrator.templating import TemplateRenderer
from worker.runner import run_task

WAIT = 10.0
ENDED: dict[str, threading.Event] = {}
"""Set by a `Spin` task when its ``run`` has returned, by the task's ``key``."""
RELEASE: dict[str, threading.Event] = {}
"""What a `Spin` task that ignores cancellation waits for instead, by ``key``."""


class Spin(RunnableTask):
    """Runs until cancelled (``cooperative``) or until the test releases it."""

    type_name: ClassVar[str] = "tests.worker.Spin"

    key: str
    cooperative: bool = True
    cleanup_seconds: float = 0.0
    fail: bool = False

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        try:
            if self.fail:
                raise RuntimeError("the task failed")
            if self.cooperative:
                ctx.cancelled.wait(WAIT)
                # Cleaning up after the request to stop takes a while (closing connections).
                threading.Event().wait(self.cleanup_seconds)
            else:
                RELEASE[self.key].wait(WAIT * 3)
            return {}
        finally:
            ENDED[self.key].set()


@pytest.fixture(autouse=True)
def _spin_type() -> Iterator[None]:
    TASK_TYPES.register(Spin.type_name, Spin)
    yield


def _attempt(key: str, **properties: Any) -> WorkerTask:
    ENDED[key] = threading.Event()
    RELEASE[key] = threading.Event()
    task = {"id": "spin", "type": Spin.type_name, "key": key, **properties}
    run = TaskRun(id=f"run-{key}", execution_id="e1", namespace="n", flow_id="f", task_id="spin")
    return WorkerTask(task_run=run, attempt=1, task=task, flow_revision=1)


def test_a_timed_out_task_is_reported_only_once_it_has_stopped() -> None:
    attempt = _attempt("cooperative", timeout="PT0.2S", cleanup_seconds=0.5)
    result = run_task(attempt, TemplateRenderer(), [].append, "w1", stop_grace=WAIT)
    assert result.state is StateType.FAILED
    assert result.failure is not None and result.failure.error_type == "Timeout"
    assert result.failure.message == "Timeout after PT0.2S"
    # The slot frees when the result is reported: the task's thread must be over by then.
    assert ENDED["cooperative"].is_set()


def test_a_task_ignoring_the_stop_request_is_abandoned_after_the_grace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logs: list[LogEntry] = []
    attempt = _attempt("stubborn", timeout="PT0.2S", cooperative=False)
    started = time.monotonic()
    try:
        with caplog.at_level(logging.ERROR, logger="kestrel.worker"):
            result = run_task(attempt, TemplateRenderer(), logs.append, "w1", stop_grace=0.5)
        assert 0.7 <= time.monotonic() - started < WAIT
        assert result.state is StateType.FAILED
        assert result.failure is not None and result.failure.error_type == "Timeout"
        assert "did not stop within 0.5 s" in result.failure.message
        assert "abandoned" in result.failure.message
        assert [e.message for e in logs if e.level is LogLevel.ERROR] == [result.failure.message]
        assert any("run-stubborn" in r.getMessage() for r in caplog.records), caplog.text
        assert not ENDED["stubborn"].is_set()
    finally:
        RELEASE["stubborn"].set()
    assert ENDED["stubborn"].wait(WAIT)


def test_a_crash_of_the_worker_code_fails_the_attempt_with_a_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def refusing_sink(entry: LogEntry) -> None:
        # The worker's log producer refusing a line (its local queue full, say).
        if entry.level is LogLevel.ERROR:
            raise OSError("log queue full")

    attempt = _attempt("crash", fail=True)
    with caplog.at_level(logging.ERROR, logger="kestrel.worker"):
        result = run_task(attempt, TemplateRenderer(), refusing_sink, "w1")
    assert result.state is StateType.FAILED
    assert result.failure is not None
    assert result.failure.error_type == "WorkerError"
    assert result.failure.message == "WorkerError: OSError: log queue full"
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and "run-crash" in errors[0].getMessage()
    assert errors[0].exc_info is not None
