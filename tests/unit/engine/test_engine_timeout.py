"""Task timeouts: worker/runner.py fails an attempt that outlives ``timeout``."""

import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from engine_harness import Harness, attempt_states, load, run_of

from orchestrator.models.state import StateType
from orchestrator.plugin import RunContext
from orchestrator.tasks.base import TASK_TYPES, RunnableTask
from worker.runner import run_task

GATE = threading.Event()
"""Holds every WaitForGate task until a test opens it."""
SAW_CANCEL = threading.Event()


class WaitForGate(RunnableTask):
    """Waits until `GATE` opens or it is told to stop (a stand-in for a slow task)."""

    type_name: ClassVar[str] = "kestrel.tests.WaitForGate"

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        # A cooperative slow task: it ends when the gate opens or when it is told to stop.
        for _ in range(3000):  # the cap only keeps a broken test from hanging
            if GATE.wait(timeout=0.01) or ctx.cancelled.is_set():
                break
        if ctx.cancelled.is_set():
            SAW_CANCEL.set()
        return {"opened": GATE.is_set()}


TASK_TYPES.register(WaitForGate.type_name, WaitForGate)


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    GATE.clear()
    SAW_CANCEL.clear()
    yield GATE
    GATE.set()  # lets a thread left behind by a timeout end


def test_a_task_slower_than_its_timeout_fails_with_a_timeout(gate: threading.Event) -> None:
    harness = Harness(load("task-timeout"))
    harness.create("task-timeout")
    task = harness.task_for("blocked")

    result = run_task(task, harness.renderer, harness.logs.append, "test-worker")

    assert result.state is StateType.FAILED
    assert result.failure is not None
    assert result.failure.error_type == "Timeout"
    assert result.failure.message == "Timeout after PT0.2S"
    assert [entry.message for entry in harness.logs] == ["Timeout after PT0.2S"]
    gate.set()
    assert SAW_CANCEL.wait(timeout=5), "the timed-out task is told to stop"


def test_a_timed_out_attempt_is_retried_and_recorded(gate: threading.Event) -> None:
    harness = Harness(load("task-timeout"))
    execution_id = harness.create("task-timeout")
    harness.answer(harness.task_for("blocked"))

    execution = harness.execution(execution_id)
    blocked = run_of(execution, "blocked")
    assert blocked.state.current is StateType.RETRYING
    assert blocked.error == "Timeout after PT0.2S"

    gate.set()
    harness.settle()
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.SUCCESS
    blocked = run_of(execution, "blocked")
    assert attempt_states(blocked) == [StateType.FAILED, StateType.SUCCESS]
    assert blocked.outputs == {"opened": True}
    assert blocked.error is None


def test_a_task_within_its_timeout_succeeds(gate: threading.Event) -> None:
    gate.set()
    harness = Harness(load("task-timeout"))
    execution = harness.run("task-timeout")
    assert execution.state.current is StateType.SUCCESS
    assert len(run_of(execution, "blocked").attempts) == 1
