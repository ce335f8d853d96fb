"""AllowFailure and ``allowFailure: true``: a failure becomes WARNING and the flow goes on."""

from engine_harness import Harness, load, run_of, runs_of, states, task_ids

from orchestrator.models.state import StateType


def test_allow_failure_turns_a_failure_into_warning_after_its_errors() -> None:
    harness = Harness(load("allow-failure"))
    execution = harness.run("allow-failure")

    assert execution.state.current is StateType.WARNING
    assert task_ids(execution) == ["tolerant", "boom", "local-handler", "soft", "after"]
    assert states(execution) == {
        "tolerant": StateType.WARNING,
        "boom": StateType.FAILED,
        "local-handler": StateType.SUCCESS,
        "soft": StateType.WARNING,
        "after": StateType.SUCCESS,
    }
    tolerant = run_of(execution, "tolerant")
    assert run_of(execution, "local-handler").parent_task_run_id == tolerant.id


def test_flow_errors_do_not_run_when_failures_were_allowed() -> None:
    harness = Harness(load("allow-failure"))
    execution = harness.run("allow-failure")
    assert runs_of(execution, "flow-handler") == []
    assert runs_of(execution, "never") == []


def test_allow_failure_task_keeps_its_failed_attempt() -> None:
    harness = Harness(load("allow-failure"))
    execution = harness.run("allow-failure")
    soft = run_of(execution, "soft")
    assert [attempt.state.current for attempt in soft.attempts] == [StateType.FAILED]
    assert soft.error == "Task failure"
