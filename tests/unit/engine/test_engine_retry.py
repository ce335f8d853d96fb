"""Retries: constant, exponential, random, maxAttempt, maxDuration, warningOnRetry, and
CREATE_NEW_EXECUTION; attempts, the RETRYING state and the RETRY timer in the snapshot."""

from datetime import timedelta

from engine_harness import (
    START,
    Harness,
    attempt_states,
    history,
    load,
    result_of,
    run_of,
    runs_of,
    task_ids,
)

from orchestrator.models.execution import TimerKind
from orchestrator.models.messages import TaskFailure, WorkerTask, WorkerTaskResult
from orchestrator.models.state import StateType


def _retry_delays(harness: Harness, execution_id: str) -> list[timedelta]:
    """Fail every attempt; return the wait before each retry, as the RETRY timers say."""
    delays = []
    while True:
        harness.settle(timers=False)
        execution = harness.execution(execution_id)
        retries = [timer for timer in execution.timers if timer.kind is TimerKind.RETRY]
        if not retries:
            return delays
        (timer,) = retries
        delays.append(timer.due - harness.now)
        harness.fire_next_timer()


def test_a_failed_attempt_puts_the_run_and_execution_in_retrying_with_a_timer() -> None:
    harness = Harness(load("retry-constant"))
    execution_id = harness.create("retry-constant")
    harness.answer(harness.task_for("flaky"))

    execution = harness.execution(execution_id)
    flaky = run_of(execution, "flaky")
    assert flaky.state.current is StateType.RETRYING
    assert execution.state.current is StateType.RETRYING
    assert attempt_states(flaky) == [StateType.FAILED]
    (timer,) = execution.timers
    assert timer.kind is TimerKind.RETRY
    assert timer.task_run_id == flaky.id
    assert timer.due == START + timedelta(seconds=10)
    assert harness.pending == {}
    assert runs_of(execution, "handler") == []  # errors wait for the last attempt


def test_the_retry_timer_dispatches_the_same_run_again() -> None:
    harness = Harness(load("retry-constant"))
    execution_id = harness.create("retry-constant")
    first = harness.task_for("flaky")
    harness.answer(first)

    decision = harness.fire_next_timer()
    assert decision is not None
    (again,) = decision.worker_tasks
    assert again.task_run.id == first.task_run.id
    assert again.attempt == 2
    assert again.context["taskrun"]["attemptsCount"] == 1
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.RUNNING
    assert history(run_of(execution, "flaky"))[-2:] == [StateType.RETRYING, StateType.CREATED]


def test_constant_retry_makes_max_attempt_attempts_then_runs_errors_once() -> None:
    harness = Harness(load("retry-constant"))
    execution_id = harness.create("retry-constant")
    delays = _retry_delays(harness, execution_id)

    assert delays == [timedelta(seconds=10)] * 2
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.FAILED
    flaky = run_of(execution, "flaky")
    assert attempt_states(flaky) == [StateType.FAILED] * 3
    assert task_ids(execution) == ["flaky", "handler"]
    messages = [entry.message for entry in harness.logs if entry.task_id == "handler"]
    assert messages == ["gave up after FAILED"]


def test_a_retry_that_succeeds_ends_in_success() -> None:
    harness = Harness(load("retry-constant"))
    execution_id = harness.create("retry-constant")
    harness.finish("flaky", StateType.FAILED)
    harness.fire_next_timer()
    harness.finish("flaky", StateType.SUCCESS)

    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.SUCCESS
    assert attempt_states(run_of(execution, "flaky")) == [StateType.FAILED, StateType.SUCCESS]
    assert runs_of(execution, "handler") == []


def test_exponential_retry_doubles_its_wait_up_to_max_interval() -> None:
    harness = Harness(load("retry-exponential"))
    execution_id = harness.create("retry-exponential")

    delays = _retry_delays(harness, execution_id)

    assert [delay.total_seconds() for delay in delays] == [1, 2, 3, 3]
    assert len(run_of(harness.execution(execution_id), "flaky").attempts) == 5


def test_random_retry_waits_between_its_bounds() -> None:
    harness = Harness(load("retry-random"))
    execution_id = harness.create("retry-random")

    delays = _retry_delays(harness, execution_id)

    assert len(delays) == 3
    assert all(timedelta(seconds=1) <= delay <= timedelta(seconds=2) for delay in delays)
    assert len(run_of(harness.execution(execution_id), "flaky").attempts) == 4


def test_max_duration_stops_the_retry_whose_start_would_pass_it() -> None:
    harness = Harness(load("retry-duration"))
    execution_id = harness.create("retry-duration")

    delays = _retry_delays(harness, execution_id)

    assert delays == [timedelta(seconds=2)] * 2
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.FAILED
    assert len(run_of(execution, "flaky").attempts) == 3


def test_warning_on_retry_turns_a_late_success_into_warning() -> None:
    harness = Harness(load("retry-warning"))
    execution = harness.run("retry-warning")

    flaky = run_of(execution, "flaky")
    assert attempt_states(flaky) == [StateType.FAILED, StateType.FAILED, StateType.SUCCESS]
    assert flaky.state.current is StateType.WARNING
    assert execution.state.current is StateType.WARNING


def test_warning_on_retry_leaves_a_first_attempt_success_alone() -> None:
    harness = Harness(load("retry-warning"))

    def succeed(task: WorkerTask) -> WorkerTaskResult:
        return result_of(task, StateType.SUCCESS)

    execution = harness.run("retry-warning", outcome=succeed)
    assert execution.state.current is StateType.SUCCESS
    assert len(run_of(execution, "flaky").attempts) == 1


def test_create_new_execution_ends_retried_and_replays_until_max_attempt() -> None:
    harness = Harness(load("retry-new-execution"))
    first_id = harness.create("retry-new-execution")
    harness.settle()

    executions = sorted(
        harness.executions.values(), key=lambda execution: execution.metadata.attempt_number
    )
    assert [execution.state.current for execution in executions] == [
        StateType.RETRIED,
        StateType.RETRIED,
        StateType.FAILED,
    ]
    assert [execution.metadata.attempt_number for execution in executions] == [1, 2, 3]
    assert executions[0].id == first_id
    assert [execution.parent_id for execution in executions[1:]] == [
        executions[0].id,
        executions[1].id,
    ]
    assert {execution.original_id for execution in executions} == {first_id}
    for execution in executions[1:]:
        labels = {label.key: label.value for label in execution.labels}
        assert labels["system.replay"] == "true"
        assert labels["team"] == "engine"
        assert history(execution)[0] is StateType.CREATED
    retried = run_of(executions[0], "boom")
    assert retried.state.current is StateType.RETRIED
    assert harness.now == START + timedelta(seconds=60)


def test_a_failure_declared_not_retryable_is_not_retried() -> None:
    harness = Harness(load("retry-constant"))

    def fatal(task: WorkerTask) -> WorkerTaskResult | None:
        if task.task_run.task_id != "flaky":
            return None
        failed = result_of(task, StateType.FAILED)
        failure = TaskFailure(error_type="Fatal", message="no point retrying", retryable=False)
        return failed.model_copy(update={"failure": failure})

    execution = harness.run("retry-constant", outcome=fatal)

    assert execution.state.current is StateType.FAILED
    assert len(run_of(execution, "flaky").attempts) == 1
    assert run_of(execution, "handler").state.current is StateType.SUCCESS
