"""Faults of the hardening issue in the engine: an engine error, non-retryable failures,
stale timers, restarts that fail again."""

from datetime import timedelta

from engine_harness import Harness, load, result_of

from orchestrator.models.flow import Flow
from orchestrator.models.messages import (
    RestartExecution,
    TimerFired,
    WorkerTask,
    WorkerTaskResult,
)
from orchestrator.models.state import StateType


def _labels_with_a_bad_output(task: WorkerTask) -> WorkerTaskResult | None:
    if task.task_run.task_id != "set":
        return None
    # Passes the schema (outputs is any dict) but the engine reads outputs["labels"][i]["key"].
    return result_of(task, StateType.SUCCESS, {"labels": [{"nokey": 1}]})


def test_an_engine_error_fails_that_execution_with_a_clear_error_and_goes_on() -> None:
    harness = Harness(load("labels"), load("sequential"))
    broken = harness.create("labels")
    harness.settle(_labels_with_a_bad_output)

    execution = harness.execution(broken)
    assert execution.state.current is StateType.FAILED
    [line] = harness.logged("internal error")
    assert "KeyError" in line.message and "'worker-result'" in line.message
    assert line.level == "ERROR" and line.execution_id == broken
    assert harness.run("sequential").state.current is StateType.SUCCESS  # the rest goes on


class _FlowLookupFails(Harness):
    def flow(self, namespace: str, flow_id: str, revision: int | None = None) -> Flow | None:
        raise RuntimeError("flow store broken")


def test_an_engine_error_on_a_create_gives_a_failed_execution() -> None:
    harness = _FlowLookupFails()
    execution_id = harness.create("anything")

    assert harness.execution(execution_id).state.current is StateType.FAILED
    assert harness.logged("flow store broken")
    assert harness.dead_letters == []


def test_an_engine_error_with_no_execution_to_fail_is_dead_lettered() -> None:
    harness = _FlowLookupFails()
    execution_id = harness.create("anything")  # FAILED by the guard

    harness.apply(RestartExecution(execution_id=execution_id))

    [(event, reason)] = harness.dead_letters
    assert isinstance(event, RestartExecution)
    assert "RuntimeError: flow store broken" in reason


def test_a_stale_timer_notice_does_not_fire_a_rescheduled_timer_early() -> None:
    harness = Harness(load("pause-delay"))
    execution_id = harness.create("pause-delay")
    harness.settle(timers=False)
    [timer] = harness.execution(execution_id).timers

    early = timer.due - timedelta(minutes=30)  # a notice for a date the timer no longer has
    harness.apply(TimerFired(execution_id=execution_id, timer_id=timer.id, due=early))
    assert harness.execution(execution_id).state.current is StateType.PAUSED

    harness.apply(TimerFired(execution_id=execution_id, timer_id=timer.id, due=timer.due))
    harness.settle()
    assert harness.execution(execution_id).state.current is StateType.SUCCESS
