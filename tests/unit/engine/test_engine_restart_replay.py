"""Restart (same execution, failed runs get a new attempt) and replay (a new execution)."""

from engine_harness import (
    Harness,
    attempt_states,
    history,
    load,
    result_of,
    run_of,
    runs_of,
    task_ids,
)

from orchestrator.models.execution import Execution
from orchestrator.models.messages import (
    CreateExecution,
    ReplayExecution,
    RestartExecution,
    WorkerTask,
    WorkerTaskResult,
)
from orchestrator.models.state import StateType


def _failed_once() -> tuple[Harness, Execution]:
    harness = Harness(load("restart"))
    execution = harness.run("restart")
    assert execution.state.current is StateType.FAILED
    assert task_ids(execution) == ["first", "flaky", "handler"]
    return harness, execution


def _always_fail_flaky(task: WorkerTask) -> WorkerTaskResult | None:
    return result_of(task, StateType.FAILED) if task.task_run.task_id == "flaky" else None


def test_restart_gives_the_failed_run_a_new_attempt_and_keeps_successes() -> None:
    harness, failed = _failed_once()

    harness.apply(RestartExecution(execution_id=failed.id))
    harness.settle()

    execution = harness.execution(failed.id)
    assert execution.state.current is StateType.SUCCESS
    assert task_ids(execution) == ["first", "flaky", "last"]
    assert run_of(execution, "first") == run_of(failed, "first")
    flaky = run_of(execution, "flaky")
    assert flaky.id == run_of(failed, "flaky").id
    assert attempt_states(flaky) == [StateType.FAILED, StateType.SUCCESS]
    assert history(flaky)[2:5] == [StateType.FAILED, StateType.RESTARTED, StateType.RUNNING]
    assert flaky.error is None


def test_restart_marks_the_execution() -> None:
    harness, failed = _failed_once()
    harness.apply(RestartExecution(execution_id=failed.id))

    execution = harness.execution(failed.id)
    assert history(execution)[-3:] == [StateType.FAILED, StateType.RESTARTED, StateType.RUNNING]
    assert ("system.restarted", "true") in {(label.key, label.value) for label in execution.labels}
    assert execution.metadata.attempt_number == 2
    assert runs_of(execution, "handler") == []  # the errors branch is dropped


def test_errors_run_again_when_the_restarted_run_fails_again() -> None:
    harness, failed = _failed_once()
    harness.apply(RestartExecution(execution_id=failed.id))
    harness.settle(_always_fail_flaky)

    execution = harness.execution(failed.id)
    assert execution.state.current is StateType.FAILED
    assert task_ids(execution) == ["first", "flaky", "handler"]
    assert run_of(execution, "handler").id != run_of(failed, "handler").id
    assert len(run_of(execution, "flaky").attempts) == 2


def test_restart_of_a_running_execution_is_ignored() -> None:
    harness = Harness(load("restart"))
    execution_id = harness.create("restart")

    decision = harness.apply(RestartExecution(execution_id=execution_id))

    assert decision.execution is None
    assert [entry.message for entry in decision.logs] == [
        "restart ignored: the execution has not ended"
    ]


def test_replay_creates_a_new_execution_keeping_the_runs_before_the_replayed_one() -> None:
    harness, failed = _failed_once()
    flaky = run_of(failed, "flaky")

    decision = harness.apply(
        ReplayExecution(execution_id=failed.id, task_run_id=flaky.id, new_execution_id="replayed")
    )
    assert decision.execution is None  # the replayed execution itself is left as it was
    (create,) = decision.commands
    assert isinstance(create, CreateExecution) and create.execution_id == "replayed"

    harness.settle()
    replay = harness.execution("replayed")
    assert replay.state.current is StateType.SUCCESS
    assert StateType.RUNNING in history(replay)[-3:]
    assert task_ids(replay) == ["first", "flaky", "last"]
    first = run_of(replay, "first")
    assert first.id != run_of(failed, "first").id
    assert first.execution_id == "replayed"
    assert (first.state.current, first.outputs) == (StateType.SUCCESS, {"value": "kept"})
    assert len(first.attempts) == 1  # kept, not run again
    assert attempt_states(run_of(replay, "flaky")) == [StateType.FAILED, StateType.SUCCESS]
    assert {run.execution_id for run in replay.task_run_list} == {"replayed"}


def test_replay_links_the_new_execution_to_the_old_one() -> None:
    harness, failed = _failed_once()
    harness.apply(
        ReplayExecution(
            execution_id=failed.id,
            task_run_id=run_of(failed, "flaky").id,
            new_execution_id="replayed",
        )
    )
    harness.settle()

    replay = harness.execution("replayed")
    assert replay.parent_id == failed.id
    assert replay.original_id == failed.id
    assert replay.metadata.attempt_number == 2
    labels = {(label.key, label.value) for label in replay.labels}
    assert ("system.replay", "true") in labels
    assert harness.execution(failed.id) == failed


def test_restarting_a_failed_subflow_call_calls_the_flow_again() -> None:
    harness = Harness(load("subflow-parent"), load("subflow-child"))
    failed = harness.run("subflow-parent", {"count": "-1"})
    first_call = run_of(failed, "call").outputs
    assert first_call is not None

    harness.apply(RestartExecution(execution_id=failed.id))
    harness.settle()

    execution = harness.execution(failed.id)
    assert execution.state.current is StateType.FAILED  # the child fails again: count < 0
    call = run_of(execution, "call")
    assert attempt_states(call) == [StateType.FAILED, StateType.FAILED]
    assert call.outputs is not None
    assert call.outputs["executionId"] != first_call["executionId"]
    assert len([e for e in harness.executions.values() if e.flow_id == "subflow-child"]) == 2


def test_replaying_from_a_subflow_call_calls_the_flow_again() -> None:
    harness = Harness(load("subflow-parent"), load("subflow-child"))
    failed = harness.run("subflow-parent", {"count": "-1"})

    harness.apply(
        ReplayExecution(
            execution_id=failed.id,
            task_run_id=run_of(failed, "call").id,
            new_execution_id="replayed",
        )
    )
    harness.settle()

    replay = harness.execution("replayed")
    assert replay.state.current is StateType.FAILED
    assert attempt_states(run_of(replay, "call")) == [StateType.FAILED, StateType.FAILED]
    assert len([e for e in harness.executions.values() if e.flow_id == "subflow-child"]) == 2


def test_a_restart_that_fails_again_runs_errors_and_finally_again() -> None:
    harness = Harness(load("restart-finally"))
    execution = harness.run("restart-finally")
    assert task_ids(execution) == ["flaky", "handler", "cleanup"]

    harness.apply(RestartExecution(execution_id=execution.id))
    harness.settle()

    again = harness.execution(execution.id)
    assert again.state.current is StateType.FAILED
    assert task_ids(again) == ["flaky", "handler", "cleanup"]
    assert run_of(again, "handler").id != run_of(execution, "handler").id
    assert run_of(again, "cleanup").id != run_of(execution, "cleanup").id
    assert [entry.message for entry in harness.logs].count("cleaned") == 2
