"""Pause (delay, manual resume with onResume inputs, timeout) and Sleep: timers, no workers."""

from datetime import timedelta

from engine_harness import START, Harness, history, load, run_of, runs_of, task_ids

from orchestrator.models.execution import TimerKind
from orchestrator.models.messages import (
    KillExecution,
    RestartExecution,
    ResumeExecution,
    TimerFired,
)
from orchestrator.models.state import StateType


def test_pause_with_delay_waits_for_its_timer_then_resumes() -> None:
    harness = Harness(load("pause-delay"))
    execution_id = harness.create("pause-delay")

    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.PAUSED
    assert run_of(execution, "wait").state.current is StateType.PAUSED
    (timer,) = execution.timers
    assert timer.kind is TimerKind.PAUSE_DELAY
    assert timer.due == START + timedelta(hours=1)
    assert harness.pending == {}

    harness.settle()
    execution = harness.execution(execution_id)
    assert harness.now == START + timedelta(hours=1)
    assert execution.state.current is StateType.SUCCESS
    assert task_ids(execution) == ["wait", "after"]
    # a Pause without tasks goes straight from PAUSED to SUCCESS when it resumes
    assert history(run_of(execution, "wait")) == [
        StateType.CREATED,
        StateType.RUNNING,
        StateType.PAUSED,
        StateType.SUCCESS,
    ]
    assert execution.timers == ()


def test_a_paused_execution_waits_for_a_resume_without_timers() -> None:
    harness = Harness(load("pause-resume"))
    execution_id = harness.create("pause-resume")
    harness.settle()

    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.PAUSED
    assert execution.timers == ()
    assert task_ids(execution) == ["wait"]


def test_resume_types_its_inputs_and_the_next_task_reads_them() -> None:
    harness = Harness(load("pause-resume"))
    execution_id = harness.create("pause-resume")

    harness.apply(ResumeExecution(execution_id=execution_id, inputs={"approved": "true"}))
    harness.settle()

    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.SUCCESS
    wait = run_of(execution, "wait")
    assert wait.outputs == {"onResume": {"approved": True}}
    assert run_of(execution, "after").outputs == {"value": "true none"}


def test_resume_missing_a_required_input_is_refused_and_the_pause_stays() -> None:
    harness = Harness(load("pause-resume"))
    execution_id = harness.create("pause-resume")

    decision = harness.apply(ResumeExecution(execution_id=execution_id, inputs={"comment": "hi"}))

    assert decision.execution is None
    assert harness.execution(execution_id).state.current is StateType.PAUSED
    (refused,) = harness.logged("resume refused")
    assert "approved" in refused.message and refused.level == "ERROR"


def test_pause_timeout_fails_the_pause_and_nothing_after_it_runs() -> None:
    harness = Harness(load("pause-timeout"))
    execution_id = harness.create("pause-timeout")
    (timer,) = harness.execution(execution_id).timers
    assert (timer.kind, timer.due) == (TimerKind.PAUSE_TIMEOUT, START + timedelta(minutes=5))

    harness.settle()
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.FAILED
    assert task_ids(execution) == ["wait"]
    assert run_of(execution, "wait").state.current is StateType.FAILED
    assert harness.logged("the pause timed out")


def test_a_resumed_pause_ignores_its_stale_timeout_timer() -> None:
    harness = Harness(load("pause-timeout"))
    execution_id = harness.create("pause-timeout")
    (timer,) = harness.execution(execution_id).timers

    harness.apply(ResumeExecution(execution_id=execution_id))
    harness.settle(timers=False)
    assert harness.execution(execution_id).state.current is StateType.SUCCESS
    assert harness.execution(execution_id).timers == ()

    late = TimerFired(execution_id=execution_id, timer_id=timer.id, due=timer.due)
    assert harness.apply(late).execution is None


def test_killing_a_paused_execution_kills_the_pause() -> None:
    harness = Harness(load("pause-resume"))
    execution_id = harness.create("pause-resume")

    harness.apply(KillExecution(execution_id=execution_id))
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.KILLED
    assert run_of(execution, "wait").state.current is StateType.KILLED
    assert runs_of(execution, "after") == []


def test_sleep_is_a_timer_and_no_worker_task() -> None:
    harness = Harness(load("sleep"))
    execution_id = harness.create("sleep")

    decision = harness.applied[-1][1]
    assert decision.worker_tasks == []
    execution = harness.execution(execution_id)
    nap = run_of(execution, "nap")
    assert nap.state.current is StateType.RUNNING
    (timer,) = execution.timers
    assert (timer.kind, timer.due, timer.task_run_id) == (
        TimerKind.SLEEP,
        START + timedelta(minutes=10),
        nap.id,
    )

    fired = harness.fire_next_timer()
    assert fired is not None
    assert [task.task_run.task_id for task in fired.worker_tasks] == ["after"]
    harness.settle()
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.SUCCESS
    nap = run_of(execution, "nap")
    assert [attempt.state.current for attempt in nap.attempts] == [StateType.SUCCESS]
    assert nap.state.end_date == START + timedelta(minutes=10)


def test_killing_a_sleep_drops_its_timer() -> None:
    harness = Harness(load("sleep"))
    execution_id = harness.create("sleep")

    harness.apply(KillExecution(execution_id=execution_id))
    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.KILLED
    assert execution.timers == ()
    assert run_of(execution, "nap").state.current is StateType.KILLED


def test_restarting_a_paused_execution_lets_the_pause_end() -> None:
    # Kestra restarts PAUSED runs too; a Pause that already paused does not pause again.
    harness = Harness(load("pause-delay"))
    execution_id = harness.create("pause-delay")

    harness.apply(RestartExecution(execution_id=execution_id))
    harness.settle()

    execution = harness.execution(execution_id)
    assert execution.state.current is StateType.SUCCESS
    assert task_ids(execution) == ["wait", "after"]
    assert run_of(execution, "wait").state.current is StateType.SUCCESS
    assert harness.now == START  # the delay timer was dropped, not waited for


def test_pause_duration_behavior_decides_the_end_when_nobody_resumes() -> None:
    expected = {
        "resume": (StateType.SUCCESS, StateType.SUCCESS),
        "warn": (StateType.WARNING, StateType.WARNING),
        "fail": (StateType.FAILED, StateType.FAILED),
        "cancel": (StateType.KILLED, StateType.KILLED),
    }
    for behavior, (pause_state, execution_state) in expected.items():
        flow_id = f"pause-behavior-{behavior}"
        harness = Harness(load(flow_id))
        execution_id = harness.create(flow_id)
        (timer,) = harness.execution(execution_id).timers
        assert timer.due == START + timedelta(hours=1)
        harness.settle()
        execution = harness.execution(execution_id)
        assert run_of(execution, "wait").state.current is pause_state, behavior
        assert execution.state.current is execution_state, behavior
